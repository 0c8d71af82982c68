"""Figures of the language-models family."""

from __future__ import annotations
