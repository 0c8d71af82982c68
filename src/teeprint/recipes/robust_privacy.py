"""Privacy: mechanisms, accounting and membership inference computed on small models."""

from __future__ import annotations
