"""Systems and efficiency: the arithmetic of running models, from exact counts and formulas."""

from __future__ import annotations
