"""Systems and efficiency: parallelism, memory and scheduling computed from exact counts."""

from __future__ import annotations
