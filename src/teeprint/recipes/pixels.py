"""E19 small images: synthetic images and kernels, convolved, pooled, strided, patched.

One recipe, ``pixels``, whose ``kind`` names the operation; the images are drawn from closed
forms (a disc, a bar, a gradient), so every output cell can be recomputed by hand.  The
effective receptive field (``erf``) is the one computed kind: it averages gradients through
random convolution stacks.

Arrays are indexed [row, column]; region codes for drawing are separate integer arrays.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from teeprint.recipes import Arrays, Params, recipe

Kind = Literal["convolution", "pooling", "conv-arithmetic", "transposed-conv", "patches", "erf",
               "dilated-causal", "separable-cost"]


class PixelParams(Params):
    """Which operation, on which synthetic image; each kind reads only the fields it needs."""

    kind: Kind
    size: int = Field(12, ge=4, le=64, description="image side in pixels")
    kernel: int = Field(3, ge=1, le=9, description="kernel side")
    stride: int = Field(1, ge=1, le=4)
    padding: int = Field(0, ge=0, le=4)
    dilation: int = Field(1, ge=1, le=4)
    patch: int = Field(4, ge=2, le=16, description="patches: side of a patch")
    depths: tuple[int, ...] = Field((4, 8, 16, 32), min_length=2, max_length=6, description="erf: stack depths")
    draws: int = Field(12, ge=1, le=64, description="erf: random weight draws averaged")
    layers: int = Field(4, ge=1, le=8, description="dilated-causal: layers, dilation 2^l")

    @model_validator(mode="after")
    def _fits(self) -> PixelParams:
        if self.kind in ("convolution", "conv-arithmetic") and \
                self.dilation * (self.kernel - 1) + 1 > self.size + 2 * self.padding:
            msg = "the (dilated) kernel must fit the padded image"
            raise ValueError(msg)
        if self.kind == "patches" and self.size % self.patch:
            msg = "size must be a multiple of patch"
            raise ValueError(msg)
        if any(not 1 <= d <= 48 for d in self.depths):
            msg = "every depth must lie in 1..48"
            raise ValueError(msg)
        if self.kind == "pooling" and self.size % 2:
            msg = "pooling needs an even size"
            raise ValueError(msg)
        return self


def disc_image(size: int) -> np.ndarray:
    """A bright disc on a dark ground with a soft gradient: edges in every direction."""
    y, x = np.mgrid[0:size, 0:size] + 0.5
    c = size / 2
    r = np.hypot(x - c, y - c)
    return np.clip((0.36 * size - r) / 1.0, 0.0, 1.0)


def correlate2d(image: np.ndarray, kernel: np.ndarray, stride: int = 1, padding: int = 0,
                dilation: int = 1) -> np.ndarray:
    """Cross-correlation as deep-learning layers compute it ('valid' after zero padding)."""
    img = np.pad(image, padding)
    k = kernel.shape[0]
    span = dilation * (k - 1) + 1
    out_n = (img.shape[0] - span) // stride + 1
    out = np.zeros((out_n, out_n))
    for a in range(k):
        for b in range(k):
            sl = img[a * dilation: a * dilation + stride * (out_n - 1) + 1: stride,
                     b * dilation: b * dilation + stride * (out_n - 1) + 1: stride]
            out += kernel[a, b] * sl
    return out


def _convolution(p: PixelParams, rng: np.random.Generator) -> Arrays:
    """LeCun et al. (1989): one kernel slid over the image; here a Sobel edge detector."""
    image = disc_image(p.size)
    sobel_x = np.array([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])
    gx = correlate2d(image, sobel_x)
    gy = correlate2d(image, sobel_x.T)
    mag = np.hypot(gx, gy)
    windows = np.stack([image[a:a + gx.shape[0], b:b + gx.shape[0]] for a in range(3) for b in range(3)])
    flat = windows.max(axis=0) == windows.min(axis=0)  # constant 3 x 3 neighbourhoods
    return {"image": image, "kernel": sobel_x, "kernel_y": sobel_x.T, "gx": gx, "gy": gy,
            "magnitude": mag, "size": p.size, "out_size": float(gx.shape[0]),
            "flat_response": float(np.max(np.hypot(gx, gy)[flat], initial=0.0)), "flat_cells": float(flat.sum()),
            "gx_check": float(np.sum(image[2:5, 5:8] * sobel_x)), "gx_at": float(gx[2, 5])}


def _pooling(p: PixelParams, rng: np.random.Generator) -> Arrays:
    """LeCun et al. (1998): 2 x 2 subsampling with stride 2, as max and as average."""
    image = disc_image(p.size) * np.linspace(0.4, 1.0, p.size)[None, :]
    h = p.size // 2
    blocks = image.reshape(h, 2, h, 2).transpose(0, 2, 1, 3).reshape(h, h, 4)
    mx, av = blocks.max(axis=2), blocks.mean(axis=2)
    return {"image": image, "max_pool": mx, "avg_pool": av, "size": p.size,
            "pooled_size": float(h), "gap": mx - av}


def conv_output_size(i: int, k: int, s: int, pad: int, d: int) -> int:
    """Dumoulin & Visin (2016), relationship 15: o = floor((i + 2p - d(k-1) - 1)/s) + 1."""
    return (i + 2 * pad - d * (k - 1) - 1) // s + 1


def _conv_arithmetic(p: PixelParams, rng: np.random.Generator) -> Arrays:
    """The receptive field of output cell (0, 0) and (last, last) on the padded input, and the
    output size, computed by running a convolution of an indicator and by the formula."""
    i, k, s, pad, d = p.size, p.kernel, p.stride, p.padding, p.dilation
    o = conv_output_size(i, k, s, pad, d)
    n = i + 2 * pad
    codes = np.zeros((n, n), int)
    codes[pad:pad + i, pad:pad + i] = 1  # the real input; padding stays 0
    taps = np.zeros((n, n), bool)
    for a in range(k):
        for b in range(k):
            taps[a * d, b * d] = True
            taps[(o - 1) * s + a * d, (o - 1) * s + b * d] = True
    codes[taps] = 2
    # Count outputs by actually sliding the kernel over a padded image.
    ran = correlate2d(np.ones((i, i)), np.ones((k, k)), s, pad, d)
    shade = np.where(codes == 0, 0.12, np.where(codes == 1, 0.45, 1.0))
    return {"grid": codes, "shade": shade, "tap_mask": taps.astype(float), "output_size": float(o), "measured_output_size": float(ran.shape[0]),
            "input_size": float(i), "padded_size": float(n), "kernel": float(k),
            "stride": float(s), "padding": float(pad), "dilation": float(d),
            "taps": float(taps.sum()), "span": float(d * (k - 1) + 1)}


def transposed_conv(x: np.ndarray, kernel: np.ndarray, stride: int) -> np.ndarray:
    """Transposed convolution: each input pixel stamps the kernel, stride apart, summed."""
    n, k = x.shape[0], kernel.shape[0]
    out = np.zeros(((n - 1) * stride + k, (n - 1) * stride + k))
    for a in range(n):
        for b in range(n):
            out[a * stride: a * stride + k, b * stride: b * stride + k] += x[a, b] * kernel
    return out


def _transposed(p: PixelParams, rng: np.random.Generator) -> Arrays:
    """Odena, Dumoulin & Olah (2016): a stride-2 transposed convolution of a flat input with a
    flat kernel is uneven when the kernel size is not a multiple of the stride (3 vs 2: pixels
    get 1, 2 or 4 stamps, a checkerboard); with kernel 4 the interior is even; resizing first
    (nearest neighbour) and then convolving is even for any kernel."""
    n = p.size
    x = np.ones((n, n))
    odd = transposed_conv(x, np.ones((3, 3)), 2)
    even = transposed_conv(x, np.ones((4, 4)), 2)
    up = np.kron(x, np.ones((2, 2)))
    resize = correlate2d(up, np.ones((3, 3)), 1, 1)
    # The same in one dimension: stamps of a flat kernel, stride 2, summed per output position.
    def stamps_1d(k: int) -> np.ndarray:
        out1 = np.zeros((n - 1) * 2 + k)
        for a in range(n):
            out1[2 * a: 2 * a + k] += 1.0
        return out1

    odd_1d, even_1d = stamps_1d(3)[4:-4], stamps_1d(4)[4:-4]
    resize_1d = np.convolve(np.repeat(np.ones(n), 2), np.ones(3), mode="same")[4:-4]
    m = 4  # crop away the borders, where every method thins out
    odd_c, even_c, res_c = odd[m:-m, m:-m], even[m:-m, m:-m], resize[m:-m, m:-m]
    return {"odd": odd_c, "even": even_c, "resize": res_c, "odd_1d": odd_1d,
            "even_1d": even_1d, "resize_1d": resize_1d,
            "position_odd": np.arange(odd_1d.size, dtype=float),
            "position_even": np.arange(even_1d.size, dtype=float),
            "position_resize": np.arange(resize_1d.size, dtype=float),
            "odd_ratio": float(odd_c.max() / odd_c.min()),
            "even_ratio": float(even_c.max() / even_c.min()),
            "resize_ratio": float(res_c.max() / res_c.min()),
            "odd_levels": float(np.unique(odd_c).size)}


def _patches(p: PixelParams, rng: np.random.Generator) -> Arrays:
    """Dosovitskiy et al. (2021): an image cut into P x P patches, each flattened into one
    token, in raster order."""
    image = disc_image(p.size) * (0.55 + 0.45 * np.linspace(0, 1, p.size)[:, None])
    g = p.size // p.patch
    tokens = image.reshape(g, p.patch, g, p.patch).transpose(0, 2, 1, 3).reshape(g * g, p.patch**2)
    back = tokens.reshape(g, g, p.patch, p.patch).transpose(0, 2, 1, 3).reshape(p.size, p.size)
    grid = np.zeros((p.size, p.size), int)
    grid[(np.arange(p.size) // p.patch)[:, None] % 2 == (np.arange(p.size) // p.patch)[None, :] % 2] = 1
    return {"image": image, "tokens": tokens, "patch_grid": grid, "num_tokens": float(g * g),
            "token_dim": float(p.patch**2), "reconstruction_error": float(np.abs(back - image).max()),
            "token_index": np.arange(g * g), "patch": float(p.patch), "size": float(p.size)}


def _erf(p: PixelParams, rng: np.random.Generator) -> Arrays:
    """Luo et al. (2016): the gradient of a centre output with respect to the input, through
    a stack of random 3 x 3 linear convolutions, averaged in magnitude over draws.  Its radius
    grows like the square root of depth while the theoretical field grows linearly."""
    size = 2 * max(p.depths) + 9
    c = size // 2
    maps = []
    radius: list[float] = []
    offsets: list[float] = []
    for depth in p.depths:
        acc = np.zeros((size, size))
        for _ in range(p.draws):
            g = np.zeros((size, size))
            g[c, c] = 1.0
            for _ in range(depth):  # backprop through a convolution is a correlation
                w = rng.normal(size=(3, 3)) / 3.0
                g = correlate2d(g, w[::-1, ::-1], 1, 1)
            acc += np.abs(g)
        acc /= acc.sum()
        yy, xx = np.mgrid[0:size, 0:size]
        r2 = (yy - c) ** 2 + (xx - c) ** 2
        radius.append(math.sqrt(float(np.sum(acc * r2)) / 2))  # per-axis standard deviation
        offsets.append(math.hypot(float(np.sum(acc * yy)) - c, float(np.sum(acc * xx)) - c))
        maps.append(acc)
    depths = np.asarray(p.depths, float)
    show = min(2 * p.depths[-1] + 3, 33)  # a window of +-16 pixels around the centre
    lo = c - show // 2
    out: Arrays = {"depth": depths, "erf_radius": np.asarray(radius),
                   "theoretical_radius": depths, "sqrt_depth": np.sqrt(depths)}
    for i, m in enumerate(maps):
        out[f"erf_{i}"] = m[lo:lo + show, lo:lo + show] / m.max()
    # Column sums (the map projected on the x axis), each scaled to its own peak.
    prof = np.asarray([m[:, lo:lo + show].sum(axis=0) / m[:, lo:lo + show].sum(axis=0).max()
                       for m in maps])
    out["profiles"] = prof
    out["offset"] = np.arange(show, dtype=float) - show // 2
    out["radius_ratio"] = float(radius[-1] / radius[0])
    out["depth_ratio"] = float(depths[-1] / depths[0])
    out["window"] = float(show)
    out["centroid_offset"] = np.asarray(offsets)
    return out


def _dilated_causal(p: PixelParams, rng: np.random.Generator) -> Arrays:
    """van den Oord et al. (2016): causal convolutions of kernel 2 with dilations 1, 2, 4, ...
    The inputs that reach the last output: rows are layers (input at the bottom)."""
    layers = p.layers
    t = 2 ** layers + 8
    reach = np.zeros((layers + 1, t))
    reach[layers, t - 1] = 1.0  # the output, top row drawn last
    cur = {t - 1}
    for level in range(layers, 0, -1):
        d = 2 ** (level - 1)
        cur = {u for v in cur for u in (v, v - d) if u >= 0}
        for u in cur:
            reach[level - 1, u] = 1.0
    plain = np.zeros_like(reach)
    plain[layers, t - 1] = 1.0
    cur = {t - 1}
    for level in range(layers, 0, -1):
        cur = {u for v in cur for u in (v, v - 1) if u >= 0}
        for u in cur:
            plain[level - 1, u] = 1.0
    return {"dilated": reach[::-1], "undilated": plain[::-1],
            "field": float(reach[0].sum()), "plain_field": float(plain[0].sum()),
            "layers": float(layers), "time": np.arange(t) - (t - 1),
            "layer_names": ["output"] + [f"layer {k}" for k in range(layers - 1, 0, -1)] + ["input"],
            "field_by_layer": reach[::-1].sum(axis=1)}


def _separable_cost(p: PixelParams, rng: np.random.Generator) -> Arrays:
    """Howard et al. (2017): a k x k convolution from M to N channels costs k^2 M N
    multiply-adds per pixel; a depthwise k x k filter per channel then a 1 x 1 pointwise mix
    costs k^2 M + M N.  The ratio is 1/N + 1/k^2, whatever M is."""
    channels = 2.0 ** np.arange(0, 11)
    out: Arrays = {"channels": channels}
    for k in (3, 5, 7):
        m = 64.0
        full = k * k * m * channels
        sep = k * k * m + m * channels
        out[f"ratio_k{k}"] = sep / full
        out[f"limit_k{k}"] = 1.0 / k**2
    out["saving_k3_256"] = float(1.0 / out["ratio_k3"][8])
    return out


_KINDS: dict[str, Callable[[PixelParams, np.random.Generator], Arrays]] = {
    "convolution": _convolution, "pooling": _pooling, "conv-arithmetic": _conv_arithmetic,
    "transposed-conv": _transposed, "patches": _patches, "erf": _erf,
    "dilated-causal": _dilated_causal, "separable-cost": _separable_cost,
}


@recipe("pixels", PixelParams)
def pixels(p: PixelParams, rng: np.random.Generator) -> Arrays:
    """A small image operation named by ``kind`` (see the module docstring)."""
    return _KINDS[p.kind](p, rng)
