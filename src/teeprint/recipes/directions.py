"""E8 direction sets: learned or exact vectors (polytopes, axes, probe and feature directions)."""

from __future__ import annotations
