"""E2 sweeps: a metric against a scale or knob, each point a seeded numpy experiment or an exact formula."""

from __future__ import annotations
