"""token-bars: a distribution over a small vocabulary as engraved bars, before and after a rule."""

from __future__ import annotations
