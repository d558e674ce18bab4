import re


def slugify(text):
    """Lower-case URL slug: runs of anything but letters and digits become one dash."""
    text = text.strip().lower()
    text = re.sub(r"[^a-z]+", "-", text)
    return text.strip("-")
