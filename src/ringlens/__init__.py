"""ringlens: find coordinated abuse rings in a creator economy and queue them for enforcement."""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["__version__"]
