"""Interpretability: circuits, dictionaries and edits found in small trained or hand-wired models."""

from __future__ import annotations
