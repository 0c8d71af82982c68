"""Language models: decoding, tokenisation and in-context toys computed on small embedded corpora."""

from __future__ import annotations
