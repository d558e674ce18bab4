from inventory import Inventory


def test_add_then_count():
    inv = Inventory()
    inv.add("apple", 3)
    inv.add("apple", 2)
    assert inv.count("apple") == 5


def test_remove_within_stock():
    inv = Inventory()
    inv.add("pear", 4)
    inv.remove("pear", 1)
    assert inv.count("pear") == 3
