"""Reads a spreadsheet from stdin and prints its cells as JSON, for the evaluator's table metrics.

`python3 -I read_table.py NAME < file`: NAME's extension picks the reader (.xlsx/.xlsm: openpyxl with
the values LibreOffice or Excel cached for formulas, as OSWorld's pandas reads them; .csv/.tsv: the
csv module, numbers parsed as numbers like pandas' read_csv). The bytes come on stdin so nothing is
read from a path the agent could swap; -I keeps the agent's user site-packages and PYTHON* variables
out. Bounded: at most MAX_CELLS cells in all; more is an error, never a silent cut.
"""
import csv
import datetime
import io
import json
import sys

MAX_CELLS = 200_000


class TooBig(Exception):
    pass


def cell(v):
    if isinstance(v, (datetime.datetime, datetime.date, datetime.time)):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v


def number(s):
    try:
        return int(s)
    except ValueError:
        pass
    try:
        f = float(s)
        return int(f) if f.is_integer() and "." not in s and "e" not in s.lower() else f
    except ValueError:
        return s


def read_xlsx(data):
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(data), data_only=True, read_only=True)
    sheets, total = [], 0
    for ws in wb.worksheets:
        rows = []
        for row in ws.iter_rows(values_only=True):
            total += len(row)
            if total > MAX_CELLS:
                raise TooBig()
            rows.append([cell(v) for v in row])
        sheets.append({"name": ws.title, "rows": rows})
    return sheets


def read_csv(data, delimiter):
    text = data.decode("utf-8-sig", errors="replace")
    rows, total = [], 0
    for row in csv.reader(io.StringIO(text), delimiter=delimiter):
        total += len(row)
        if total > MAX_CELLS:
            raise TooBig()
        rows.append([None if c == "" else number(c) for c in row])
    return [{"name": "Sheet1", "rows": rows}]


def main():
    name = sys.argv[1].lower()
    data = sys.stdin.buffer.read()
    try:
        if name.endswith((".xlsx", ".xlsm")):
            sheets = read_xlsx(data)
        elif name.endswith((".csv", ".tsv")):
            sheets = read_csv(data, "\t" if name.endswith(".tsv") else ",")
        else:
            print(json.dumps({"error": "no table reader for %s (known: .xlsx, .xlsm, .csv, .tsv)" % sys.argv[1]}))
            return
    except TooBig:
        print(json.dumps({"error": "more than %d cells" % MAX_CELLS}))
        return
    except Exception as e:  # not a spreadsheet, a broken file: the metric scores 0 and says why
        print(json.dumps({"error": "cannot read %s as a table: %s" % (sys.argv[1], e)}))
        return
    print(json.dumps({"sheets": sheets}, default=str))


if __name__ == "__main__":
    main()
