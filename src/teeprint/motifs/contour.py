"""Motif engines: contour."""

from __future__ import annotations
