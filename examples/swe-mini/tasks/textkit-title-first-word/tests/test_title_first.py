from textkit import title_case


def test_first_small_word_is_capitalized():
    assert title_case("the lord of the rings") == "The Lord of the Rings"
