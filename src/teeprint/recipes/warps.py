"""E18 warps: a 2-D grid or point cloud pushed through a map or a vector field."""

from __future__ import annotations
