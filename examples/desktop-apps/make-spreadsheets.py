"""Writes the example's XLSX files (run once with openpyxl; the files are committed):
python3 make-spreadsheets.py  (in the apps image: it has Debian's python3-openpyxl)."""
import openpyxl


def book(path, rows, title="Sheet1"):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    for r in rows:
        ws.append(r)
    wb.save(path)


book("files/Documents/sales.xlsx", [["Region", "Sales"], ["North", 10], ["South", 20], ["West", 30]])
book("files/Documents/orders.xlsx", [["Item", "Price", "Quantity", "Total"], ["Pen", 2, 5], ["Book", 12, 2], ["Lamp", 25, 1]])
book("expected/orders.xlsx", [["Item", "Price", "Quantity", "Total"], ["Pen", 2, 5, 10], ["Book", 12, 2, 24], ["Lamp", 25, 1, 25]])
book("files/Documents/grades.xlsx", [["Student", "Grade"], ["Ada", 91], ["Alan", 78], ["Grace", 85], ["Edsger", 66], ["Barbara", 70], ["Average"]])
