from inventory import Inventory


def test_value_counts_quantities():
    inv = Inventory()
    inv.add("apple", 3, price=2.0)
    inv.add("pear", 2, price=1.5)
    assert inv.total_value() == 9.0
