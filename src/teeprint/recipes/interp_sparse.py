"""Interpretability: sparse dictionaries, crosscoders and representations trained sparse."""

from __future__ import annotations
