"""Recipes of the representations family."""

from __future__ import annotations
