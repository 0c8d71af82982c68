"""Motif engines: matrix."""

from __future__ import annotations
