"""Robustness, safety and fairness: attacks, shifts and fairness criteria computed on small models."""

from __future__ import annotations
