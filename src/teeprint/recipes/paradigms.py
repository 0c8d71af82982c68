"""Learning paradigms: ways of setting up learning, each run as a small seeded numpy toy."""

from __future__ import annotations
