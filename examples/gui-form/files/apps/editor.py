"""A small text editor: type, then save with Ctrl+S or File > Save. Usage: editor.py PATH"""
import os
import sys
import tkinter as tk

from a11y_tk import install

path = os.path.expanduser(sys.argv[1] if len(sys.argv) > 1 else "~/notes.txt")
root = tk.Tk()
root.title("Editor - " + os.path.basename(path))
root.geometry("600x400+40+40")
root.option_add("*Font", "DejaVuSans 11")
text = tk.Text(root, wrap="word", undo=True)
text.a11y_name = "Document"
if os.path.exists(path):
    with open(path) as f:
        text.insert("1.0", f.read())


def save(_event=None):
    with open(path + ".tmp", "w") as f:
        f.write(text.get("1.0", "end-1c"))
    os.replace(path + ".tmp", path)
    root.title("Editor - " + os.path.basename(path) + " (saved)")
    return "break"


bar = tk.Menu(root)
filemenu = tk.Menu(bar, tearoff=0)
filemenu.add_command(label="Save", command=save, accelerator="Ctrl+S")
filemenu.add_command(label="Quit", command=root.destroy)
bar.add_cascade(label="File", menu=filemenu)
root.config(menu=bar)
root.bind_all("<Control-s>", save)
text.pack(fill="both", expand=True)
text.focus_set()
install(root, "editor")
root.mainloop()
