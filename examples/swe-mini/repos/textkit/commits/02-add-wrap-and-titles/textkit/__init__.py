"""Small text helpers."""
from .case import title_case
from .slug import slugify
from .wrap import wrap

__all__ = ["slugify", "title_case", "wrap"]
