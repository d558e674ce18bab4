"""Descriptive statistics."""
from .stats import clamp, mean, median

__all__ = ["clamp", "mean", "median"]
