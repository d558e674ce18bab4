class Inventory:
    """Stock and unit price per SKU."""

    def __init__(self):
        self._stock = {}
        self._price = {}

    def add(self, sku, qty, price=0.0):
        if qty <= 0:
            raise ValueError("quantity must be positive")
        self._stock[sku] = self._stock.get(sku, 0) + qty
        self._price[sku] = price

    def remove(self, sku, qty):
        """Takes `qty` items out; raises ValueError when there are not enough in stock."""
        if qty <= 0:
            raise ValueError("quantity must be positive")
        self._stock[sku] = self._stock.get(sku, 0) - qty

    def count(self, sku):
        return self._stock.get(sku, 0)

    def total_value(self):
        """Value of everything in stock: quantity times unit price, summed over SKUs."""
        return sum(self._price[sku] for sku in self._stock)
