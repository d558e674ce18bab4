from textkit import wrap


def test_line_of_exact_width_fits():
    assert wrap("aa bb cc", 5) == ["aa bb", "cc"]
