from csvlite import parse_line


def test_quoted_comma_stays_in_field():
    assert parse_line('"x,y",z') == ["x,y", "z"]
