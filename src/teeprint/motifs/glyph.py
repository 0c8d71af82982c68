"""Motif engines: glyph."""

from __future__ import annotations
