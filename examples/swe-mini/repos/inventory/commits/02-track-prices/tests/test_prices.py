from inventory import Inventory


def test_empty_inventory_is_worth_nothing():
    assert Inventory().total_value() == 0
