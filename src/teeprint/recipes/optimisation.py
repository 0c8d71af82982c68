"""Recipes of the optimisation family."""

from __future__ import annotations
