"""E15 online curves: regret, return and prediction-error curves of online algorithms, mean and band over seeds."""

from __future__ import annotations
