"""E17 graphs: nodes and weighted edges from a computation (Bayes nets, trellises, search trees)."""

from __future__ import annotations
