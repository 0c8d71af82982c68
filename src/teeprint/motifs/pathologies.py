"""Figures of the pathologies family."""

from __future__ import annotations
