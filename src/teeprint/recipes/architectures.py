"""Recipes of the architectures family."""

from __future__ import annotations
