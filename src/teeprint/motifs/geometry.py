"""Motif engines: geometry."""

from __future__ import annotations
