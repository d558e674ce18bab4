"""Accessibility trees of real applications (Chromium, LibreOffice, GTK apps) read through AT-SPI.

The apps export their trees on the accessibility bus; this walks the windows that are on screen,
in the same node shape the in-project Tk apps dump (a11y_tk.py), within bounds: a node budget, a
cap on children per node (a Calc sheet reports millions of cells), and a time bound as the last
resort (every property is a D-Bus round trip to the app, slow when the machine is loaded: the node
budget, not the clock, should decide what the policy sees). Truncation is marked, never silent.
"""
import time

_ATSPI = None


def _atspi():
    global _ATSPI
    if _ATSPI is None:
        import gi

        gi.require_version("Atspi", "2.0")
        from gi.repository import Atspi, GLib

        _ATSPI = (Atspi, GLib)
    return _ATSPI


STATES = {  # AT-SPI state → the name the policy reads (as in OSWorld's trees)
    "FOCUSED": "focused", "CHECKED": "checked", "SELECTED": "selected", "PRESSED": "pressed",
    "EXPANDED": "expanded", "EDITABLE": "editable",
}
MAX_TEXT = 400


class Budget:
    def __init__(self, nodes, seconds):
        self.nodes, self.deadline, self.truncated = nodes, time.monotonic() + seconds, False

    def take(self):
        if self.nodes <= 0 or time.monotonic() > self.deadline:
            self.truncated = True
            return False
        self.nodes -= 1
        return True


def _node(acc, budget, depth, max_children, max_depth):
    Atspi, _ = _atspi()
    states = acc.get_state_set()
    node = {"role": acc.get_role_name() or "unknown", "name": acc.get_name() or "", "states": []}
    for key, name in STATES.items():
        if states.contains(getattr(Atspi.StateType, key)):
            node["states"].append(name)
    if not states.contains(Atspi.StateType.ENABLED) and not states.contains(Atspi.StateType.SENSITIVE):
        node["states"].append("disabled")
    try:
        r = acc.get_extents(Atspi.CoordType.SCREEN)
        if r.width > 0 and r.height > 0:
            node["bbox"] = [r.x, r.y, r.width, r.height]
    except Exception:  # an object without a Component interface
        pass
    text = acc.get_text_iface() if node["role"] in ("text", "entry", "paragraph", "table cell", "terminal", "document text", "password text") else None
    if text is not None:
        try:
            n = Atspi.Text.get_character_count(text)
            if n and node["role"] != "password text":
                node["value"] = Atspi.Text.get_text(text, 0, min(n, MAX_TEXT))
        except Exception:
            pass
    # A closed menu's items are not on screen: skip them without asking each one (a round trip each).
    if depth >= max_depth or (node["role"] == "menu" and "selected" not in node["states"] and "expanded" not in node["states"]):
        return node
    kids = []
    count = acc.get_child_count()
    for i in range(min(count, max_children)):
        if not budget.take():
            break
        try:
            child = acc.get_child_at_index(i)
        except Exception:
            continue
        if child is None or not child.get_state_set().contains(Atspi.StateType.SHOWING):
            continue
        kids.append(_node(child, budget, depth + 1, max_children, max_depth))
    if count > max_children:
        kids.append({"role": "truncated", "name": "%d more children" % (count - max_children), "states": []})
    if kids:
        node["children"] = kids
    return node


def trees(max_nodes=400, seconds=3.0, max_children=60, max_depth=30):
    """One tree per on-screen window of every AT-SPI application (the Tk apps dump their own)."""
    Atspi, GLib = _atspi()
    ctx = GLib.MainContext.default()
    while ctx.pending():  # apply queued change events, so cached names and states are current
        ctx.iteration(False)
    budget = Budget(max_nodes, seconds)
    out = []
    desktop = Atspi.get_desktop(0)
    for i in range(desktop.get_child_count()):
        app = desktop.get_child_at_index(i)
        if app is None:
            continue
        # Without a running main loop the cached names, states and children go stale (Chromium
        # builds its tree after the first query): read them fresh each time.
        app.clear_cache()
        for j in range(app.get_child_count()):
            win = app.get_child_at_index(j)
            if win is None or not win.get_state_set().contains(Atspi.StateType.SHOWING) or not budget.take():
                continue
            try:
                pid = app.get_process_id()
            except Exception:
                pid = 0
            tree = {"app": app.get_name() or "", "pid": pid, "title": win.get_name() or "", "root": _node(win, budget, 0, max_children, max_depth)}
            out.append(tree)
    if budget.truncated and out:
        out[-1].setdefault("root", {}).setdefault("children", []).append({"role": "truncated", "name": "tree budget reached", "states": []})
    return out
