SMALL_WORDS = {"a", "an", "and", "at", "by", "for", "in", "of", "on", "or", "the", "to"}


def title_case(text):
    """Capitalize each word except small words; the first word is always capitalized."""
    words = text.split()
    out = []
    for word in words:
        if word.lower() in SMALL_WORDS:
            out.append(word.lower())
        else:
            out.append(word[:1].upper() + word[1:].lower())
    return " ".join(out)
