"""policy-grid: a gridworld's values as a heatmap with the greedy policy as arrows."""

from __future__ import annotations
