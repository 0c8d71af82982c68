"""Recipes of the generative family."""

from __future__ import annotations
