from statkit import mean, median


def test_mean_of_integers():
    assert mean([1, 2, 3]) == 2


def test_median_of_odd_count():
    assert median([3, 1, 2]) == 2


def test_median_of_empty_raises():
    import pytest

    with pytest.raises(ValueError):
        median([])
