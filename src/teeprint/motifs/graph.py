"""Motif engines: graph."""

from __future__ import annotations
