"""Learning paradigms that need a training loop: transfer, meta, continual and federated toys."""

from __future__ import annotations
