"""Figures of the interpretability family."""

from __future__ import annotations
