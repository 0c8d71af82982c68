"""E10 token distributions: a small vocabulary's distribution before and after a decoding rule."""

from __future__ import annotations
