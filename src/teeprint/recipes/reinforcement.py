"""Reinforcement learning: bandits, tabular value and policy methods, exploration, on environments small enough to solve exactly."""

from __future__ import annotations
