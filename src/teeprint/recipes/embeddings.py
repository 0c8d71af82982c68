"""E7 embeddings: 2-D maps of synthetic high-dimensional data made by the method itself."""

from __future__ import annotations
