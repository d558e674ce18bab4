from textkit.slug import slugify


def test_digits_are_kept():
    assert slugify("Release 2 notes") == "release-2-notes"


def test_trailing_number():
    assert slugify("Top 10") == "top-10"
