"""E5 decision boundaries: classifiers trained in numpy on seeded 2-D toy sets."""

from __future__ import annotations
