"""Data, evaluation and metrics: scorers, curves (ROC, precision-recall, reliability), calibration, leakage and benchmark pitfalls."""

from __future__ import annotations
