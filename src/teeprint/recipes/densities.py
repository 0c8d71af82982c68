"""E11 stacked densities: 1-D distributions over time, generations, layers or a parameter."""

from __future__ import annotations
