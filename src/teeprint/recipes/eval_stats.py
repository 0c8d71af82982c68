"""Evaluation statistics: resampling, significance and agreement computed on seeded synthetic data."""

from __future__ import annotations
