from csvlite import parse


def test_blank_lines_are_skipped():
    assert parse("a,b\n\nc,d\n") == [["a", "b"], ["c", "d"]]
