def mean(values):
    """Arithmetic mean. Raises ValueError for empty data."""
    values = list(values)
    return sum(values) / len(values)


def median(values):
    """Middle value of the sorted data; the average of the two middle values for even counts."""
    data = sorted(values)
    if not data:
        raise ValueError("median of empty data")
    mid = len(data) // 2
    return data[mid]
