from statkit import clamp


def test_above_range():
    assert clamp(5, 0, 3) == 3


def test_below_range():
    assert clamp(-1, 0, 3) == 0


def test_inside_range():
    assert clamp(2, 0, 3) == 2
