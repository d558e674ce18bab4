class Inventory:
    """Stock per SKU."""

    def __init__(self):
        self._stock = {}

    def add(self, sku, qty):
        if qty <= 0:
            raise ValueError("quantity must be positive")
        self._stock[sku] = self._stock.get(sku, 0) + qty

    def remove(self, sku, qty):
        """Takes `qty` items out; raises ValueError when there are not enough in stock."""
        if qty <= 0:
            raise ValueError("quantity must be positive")
        self._stock[sku] = self._stock.get(sku, 0) - qty

    def count(self, sku):
        return self._stock.get(sku, 0)
