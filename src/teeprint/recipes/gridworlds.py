"""E14 gridworlds: tabular MDPs solved exactly or learned (values, policies, visitation)."""

from __future__ import annotations
