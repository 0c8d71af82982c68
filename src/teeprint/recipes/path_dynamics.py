"""Pathologies of training dynamics, each reproduced on a toy where it happens at most seeds."""

from __future__ import annotations
