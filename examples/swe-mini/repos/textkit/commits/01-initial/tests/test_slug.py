from textkit.slug import slugify


def test_words_are_joined_by_dashes():
    assert slugify("Hello World") == "hello-world"


def test_punctuation_is_dropped():
    assert slugify("  Hello, World!  ") == "hello-world"
