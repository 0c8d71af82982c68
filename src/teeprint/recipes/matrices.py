"""E9 matrices: masks, attention patterns, Gram, kernel, confusion and transition matrices."""

from __future__ import annotations
