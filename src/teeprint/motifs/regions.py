"""decision-regions: a classifier's regions over the plane, its boundary, and the data on top."""

from __future__ import annotations
