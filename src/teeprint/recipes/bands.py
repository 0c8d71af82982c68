"""E13 fits with bands: 1-D regression fits with uncertainty or interval bands over seeded data."""

from __future__ import annotations
