"""Recipes of the probabilistic family."""

from __future__ import annotations
