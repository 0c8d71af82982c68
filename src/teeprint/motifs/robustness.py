"""Figures of the robustness family."""

from __future__ import annotations
