"""Learning paradigms: self-supervised, semi-supervised, transfer, meta-, continual and federated learning as computed toys."""

from __future__ import annotations
