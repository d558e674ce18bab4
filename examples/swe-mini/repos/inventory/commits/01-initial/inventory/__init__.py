"""A tiny stock ledger."""
from .store import Inventory

__all__ = ["Inventory"]
