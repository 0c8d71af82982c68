"""Classical algorithms that no generic engine covers."""

from __future__ import annotations
