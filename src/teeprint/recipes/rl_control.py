"""Reinforcement learning: control, policy-gradient and planning methods on small exact environments."""

from __future__ import annotations
