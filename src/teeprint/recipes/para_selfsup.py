"""Paradigms: semi-supervised consistency and self-supervised prediction in latent space."""

from __future__ import annotations
