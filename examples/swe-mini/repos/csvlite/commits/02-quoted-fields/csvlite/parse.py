def parse_line(line):
    """Splits one CSV line into fields. Fields may be quoted with double quotes; inside quotes a
    comma is part of the field and a doubled quote ("") stands for one quote character."""
    fields = []
    field = ""
    quoted = False
    i = 0
    while i < len(line):
        ch = line[i]
        if quoted:
            if ch == '"':
                quoted = False
            else:
                field += ch
        elif ch == '"':
            quoted = True
        elif ch == ",":
            fields.append(field)
            field = ""
        else:
            field += ch
        i += 1
    fields.append(field)
    return fields


def parse(text):
    """Rows of fields; blank lines are skipped."""
    return [parse_line(line) for line in text.splitlines()]
