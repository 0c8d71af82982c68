"""Data, evaluation and metrics: scores, curves and tests computed from seeded synthetic scorers and datasets."""

from __future__ import annotations
