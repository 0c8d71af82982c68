"""E12 samplers: sampling and search chains or particle clouds on closed-form 2-D densities."""

from __future__ import annotations
