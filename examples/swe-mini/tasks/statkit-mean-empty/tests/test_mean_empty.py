import pytest

from statkit import mean


def test_mean_of_empty_raises_value_error():
    with pytest.raises(ValueError):
        mean([])
