from csvlite import parse_line


def test_plain_fields():
    assert parse_line("a,b,c") == ["a", "b", "c"]


def test_empty_fields_are_kept():
    assert parse_line("a,,c") == ["a", "", "c"]
