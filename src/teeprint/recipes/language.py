"""Recipes of the language family."""

from __future__ import annotations
