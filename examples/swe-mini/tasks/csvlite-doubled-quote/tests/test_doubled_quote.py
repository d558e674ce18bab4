from csvlite import parse_line


def test_doubled_quote_is_one_quote():
    assert parse_line('"say ""hi""",x') == ['say "hi"', "x"]
