"""Figures of the systems family."""

from __future__ import annotations
