"""Systems and efficiency: number formats, memory, parallelism, caches and kernels from exact counts."""

from __future__ import annotations
