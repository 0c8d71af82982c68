"""E1 closed-form curves: named 1-D function families (activations, losses, schedules, kernels, bounds)."""

from __future__ import annotations
