"""E19 small images: synthetic images, kernels and patches (convolution, saliency, perturbations)."""

from __future__ import annotations
