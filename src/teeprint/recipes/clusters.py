"""E6 clustering: partitions of seeded 2-D points (assignments, centroids, ellipses)."""

from __future__ import annotations
