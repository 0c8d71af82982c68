"""Figures of the paradigms family."""

from __future__ import annotations
