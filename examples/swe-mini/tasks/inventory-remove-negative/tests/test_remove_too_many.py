import pytest

from inventory import Inventory


def test_removing_more_than_stock_raises():
    inv = Inventory()
    inv.add("apple", 2)
    with pytest.raises(ValueError):
        inv.remove("apple", 5)
    assert inv.count("apple") == 2
