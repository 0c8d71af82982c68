"""Robustness, safety and fairness: adversarial examples, distribution shift, privacy mechanisms, fairness trade-offs."""

from __future__ import annotations
