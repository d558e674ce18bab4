from textkit import title_case, wrap


def test_short_text_is_one_line():
    assert wrap("a b c", 80) == ["a b c"]


def test_long_words_each_get_a_line():
    assert wrap("alpha beta gamma", 5) == ["alpha", "beta", "gamma"]


def test_middle_small_words_stay_lower():
    assert title_case("war and peace") == "War and Peace"
