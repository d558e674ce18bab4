"""Accessibility for the in-project Tk apps: Tk exposes no AT-SPI tree, so each app dumps its
widget tree (role, name, value, state, screen box) to a file the desktop daemon reads."""
import json
import os
import tkinter as tk

A11Y_DIR = "/tmp/.agentrl/a11y"

ROLES = {
    "Button": "push button", "Checkbutton": "check box", "Radiobutton": "radio button", "Entry": "text",
    "Text": "text", "Label": "label", "Listbox": "list", "Menubutton": "menu button", "Frame": "panel",
    "Toplevel": "frame", "Tk": "frame", "Scale": "slider", "Spinbox": "spin button", "OptionMenu": "combo box",
    "Labelframe": "panel", "Scrollbar": "scroll bar", "Canvas": "canvas", "Menu": "menu",
}


def _menu_items(menu):
    """Menu entries are not widgets: list them, with their screen box while the menu is posted."""
    items = []
    try:
        last = menu.index("end")
    except tk.TclError:
        return items
    if last is None:
        return items
    posted = menu.winfo_ismapped()
    for i in range(last + 1):
        kind = menu.type(i)
        if kind not in ("command", "cascade", "checkbutton", "radiobutton"):
            continue
        item = {"role": "menu" if kind == "cascade" else "menu item", "name": str(menu.entrycget(i, "label")), "states": []}
        if posted:
            y0 = menu.yposition(i)
            y1 = menu.yposition(i + 1) if i < last else menu.winfo_height()
            item["bbox"] = [menu.winfo_rootx(), menu.winfo_rooty() + y0, menu.winfo_width(), max(1, y1 - y0)]
        items.append(item)
    return items


def _node(w):
    cls = w.winfo_class()
    node = {"role": ROLES.get(cls, cls.lower()), "name": "", "states": []}
    try:
        node["bbox"] = [w.winfo_rootx(), w.winfo_rooty(), w.winfo_width(), w.winfo_height()]
    except tk.TclError:
        pass
    name = getattr(w, "a11y_name", None)
    try:
        if name is None and "text" in w.keys():
            name = w.cget("text")
    except tk.TclError:
        pass
    node["name"] = str(name or "")
    try:
        if cls == "Entry":
            node["value"] = w.get()
        elif cls == "Text":
            node["value"] = w.get("1.0", "end-1c")
        elif cls in ("Checkbutton", "Radiobutton"):
            var = w.cget("variable")
            if var:
                val = w.getvar(str(var))
                on = w.cget("onvalue") if cls == "Checkbutton" else w.cget("value")
                if str(val) == str(on):
                    node["states"].append("checked")
        elif cls == "Listbox":
            node["value"] = [w.get(i) for i in w.curselection()]
        elif cls == "Menubutton":
            node["value"] = w.cget("text")
    except tk.TclError:
        pass
    try:
        if "state" in w.keys() and str(w.cget("state")) == "disabled":
            node["states"].append("disabled")
    except tk.TclError:
        pass
    if w.focus_get() is w:
        node["states"].append("focused")
    kids = [_node(c) for c in w.winfo_children() if c.winfo_ismapped() or c.winfo_class() == "Menu"]
    if cls == "Menu":
        kids = _menu_items(w) + kids
    if kids:
        node["children"] = kids
    return node


def install(root, app_name, period_ms=25):
    """Dumps the widget tree every period (atomic write) while the app runs."""
    os.makedirs(A11Y_DIR, exist_ok=True)
    path = os.path.join(A11Y_DIR, "%d.json" % os.getpid())
    last = [None]

    def dump():
        try:
            tree = {"app": app_name, "pid": os.getpid(), "title": root.title(), "root": _node(root)}
            text = json.dumps(tree, separators=(",", ":"))
            if text != last[0]:
                with open(path + ".tmp", "w") as f:
                    f.write(text)
                os.replace(path + ".tmp", path)
                last[0] = text
        except (tk.TclError, OSError):
            pass
        root.after(period_ms, dump)

    root.after(10, dump)
