"""Recipes of the regularisation family."""

from __future__ import annotations
