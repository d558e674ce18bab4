"""A settings window whose choices live in the menu bar; each pick is written to ~/settings.json."""
import json
import os
import tkinter as tk

from a11y_tk import install

OUT = os.path.expanduser("~/settings.json")
root = tk.Tk()
root.title("Settings")
root.geometry("420x240+40+40")
root.option_add("*Font", "DejaVuSans 11")
state = {"theme": "Light", "language": "English"}
label = tk.Label(root, text="")


def save():
    with open(OUT + ".tmp", "w") as f:
        json.dump(state, f)
    os.replace(OUT + ".tmp", OUT)
    label.config(text="Theme: %(theme)s   Language: %(language)s" % state)


def setter(key, value):
    def f():
        state[key] = value
        save()
    return f


bar = tk.Menu(root)
for key, title, options in (("theme", "Theme", ("Light", "Dark", "High contrast")), ("language", "Language", ("English", "French", "Japanese"))):
    m = tk.Menu(bar, tearoff=0)
    for o in options:
        m.add_command(label=o, command=setter(key, o))
    bar.add_cascade(label=title, menu=m)
root.config(menu=bar)
label.pack(pady=40)
save()
install(root, "settings")
root.mainloop()
