"""Motif engines: ridges."""

from __future__ import annotations
