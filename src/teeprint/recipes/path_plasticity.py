"""Pathologies: what continual training does to a network's ability to keep learning."""

from __future__ import annotations
