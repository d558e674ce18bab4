"""A registration form: the agent fills fields, ticks boxes, picks from a menu and submits.
Submitting writes ~/form.json, which the tasks' evaluators read."""
import json
import os
import tkinter as tk

from a11y_tk import install

OUT = os.path.expanduser("~/form.json")
root = tk.Tk()
root.title("Registration")
root.geometry("520x420+40+40")
root.option_add("*Font", "DejaVuSans 11")

fields = {}
row = 0
for label in ("Name", "Email", "City"):
    tk.Label(root, text=label + ":").grid(row=row, column=0, sticky="e", padx=10, pady=6)
    e = tk.Entry(root, width=28)
    e.a11y_name = label
    e.grid(row=row, column=1, sticky="w", padx=10, pady=6)
    fields[label.lower()] = e
    row += 1

newsletter = tk.IntVar(value=0)
terms = tk.IntVar(value=0)
tk.Checkbutton(root, text="Subscribe to newsletter", variable=newsletter).grid(row=row, column=1, sticky="w", padx=10)
row += 1
tk.Checkbutton(root, text="I accept the terms", variable=terms).grid(row=row, column=1, sticky="w", padx=10)
row += 1

plan = tk.StringVar(value="Free")
tk.Label(root, text="Plan:").grid(row=row, column=0, sticky="e", padx=10, pady=6)
plans = tk.Frame(root)
plans.grid(row=row, column=1, sticky="w", padx=10)
for p in ("Free", "Pro", "Team"):
    tk.Radiobutton(plans, text=p, value=p, variable=plan).pack(side="left")
row += 1

country = tk.StringVar(value="Choose...")
tk.Label(root, text="Country:").grid(row=row, column=0, sticky="e", padx=10, pady=6)
menu = tk.OptionMenu(root, country, "France", "Japan", "Norway", "Peru")
menu.a11y_name = "Country"
menu.grid(row=row, column=1, sticky="w", padx=10)
row += 1

status = tk.Label(root, text="Not submitted")


def submit():
    data = {k: e.get() for k, e in fields.items()}
    data.update(newsletter=bool(newsletter.get()), terms=bool(terms.get()), plan=plan.get(),
                country=None if country.get() == "Choose..." else country.get())
    with open(OUT + ".tmp", "w") as f:
        json.dump(data, f, indent=1)
    os.replace(OUT + ".tmp", OUT)
    status.config(text="Submitted")


tk.Button(root, text="Submit", command=submit).grid(row=row, column=1, sticky="w", padx=10, pady=12)
row += 1
status.grid(row=row, column=1, sticky="w", padx=10)
install(root, "form")
root.mainloop()
