"""Figures of the evaluation family."""

from __future__ import annotations
