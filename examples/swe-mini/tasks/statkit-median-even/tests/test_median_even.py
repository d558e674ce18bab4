from statkit import median


def test_median_of_even_count_averages():
    assert median([4, 1, 3, 2]) == 2.5
