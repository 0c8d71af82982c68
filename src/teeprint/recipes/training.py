"""E3 dynamics: training curves of toy models trained in numpy (loss, accuracy, norms against step)."""

from __future__ import annotations
