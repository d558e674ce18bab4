def parse_line(line):
    """Splits one CSV line into fields."""
    return line.split(",")


def parse(text):
    """Rows of fields; blank lines are skipped."""
    return [parse_line(line) for line in text.splitlines()]
