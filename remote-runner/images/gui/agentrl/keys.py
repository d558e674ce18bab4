"""Key names the policy may use (pyautogui/OSWorld style) mapped to X keysyms for xdotool."""

NAMED = {
    "enter": "Return", "return": "Return", "esc": "Escape", "escape": "Escape", "tab": "Tab",
    "backspace": "BackSpace", "delete": "Delete", "del": "Delete", "insert": "Insert", "space": "space",
    "up": "Up", "down": "Down", "left": "Left", "right": "Right", "home": "Home", "end": "End",
    "pageup": "Prior", "pgup": "Prior", "pagedown": "Next", "pgdn": "Next",
    "ctrl": "ctrl", "ctrlleft": "Control_L", "ctrlright": "Control_R", "control": "ctrl",
    "shift": "shift", "shiftleft": "Shift_L", "shiftright": "Shift_R",
    "alt": "alt", "altleft": "Alt_L", "altright": "Alt_R", "option": "alt",
    "win": "super", "super": "super", "command": "super", "cmd": "super", "meta": "super",
    "capslock": "Caps_Lock", "numlock": "Num_Lock", "printscreen": "Print", "menu": "Menu",
}
NAMED.update({"f%d" % i: "F%d" % i for i in range(1, 13)})
PUNCT = {
    ",": "comma", ".": "period", "/": "slash", ";": "semicolon", "'": "apostrophe", "[": "bracketleft",
    "]": "bracketright", "\\": "backslash", "-": "minus", "=": "equal", "`": "grave", " ": "space",
    "!": "exclam", "@": "at", "#": "numbersign", "$": "dollar", "%": "percent", "^": "asciicircum",
    "&": "ampersand", "*": "asterisk", "(": "parenleft", ")": "parenright", "_": "underscore", "+": "plus",
    ":": "colon", '"': "quotedbl", "<": "less", ">": "greater", "?": "question", "{": "braceleft",
    "}": "braceright", "|": "bar", "~": "asciitilde",
}


def keysym(name):
    """The X keysym for a key name, or None when the name is unknown."""
    if not isinstance(name, str) or not name:
        return None
    low = name.lower()
    if low in NAMED:
        return NAMED[low]
    if len(name) == 1:
        if name.isalnum() and name.isascii():
            return name.lower() if name.isalpha() else name
        return PUNCT.get(name)
    return None


EXAMPLES = "enter, esc, tab, backspace, delete, space, up, down, left, right, home, end, pageup, pagedown, ctrl, shift, alt, f1..f12, a-z, 0-9, punctuation"
