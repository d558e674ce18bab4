"""A minimal CSV reader."""
from .parse import parse, parse_line

__all__ = ["parse", "parse_line"]
