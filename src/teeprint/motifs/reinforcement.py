"""Figures of the reinforcement family."""

from __future__ import annotations
