"""Reference pre-processing for EdgeFactor's Vision tests, in plain numpy (float64).

The same algorithm the Swift code implements (Sources/Vision/ResizeFilter.swift, Resampler.swift,
Preprocessing.swift), written independently and kept simple, so the Swift tensors can be checked
against it: separable, area-aware ("antialiased") resampling of a source region, as Pillow does,
followed by per-channel scale and offset, NCHW.
"""
from __future__ import annotations

import math

import numpy as np


def filter_weight(kind: str, x: float) -> float:
    x = abs(x)
    if kind == "bilinear":
        return 1.0 - x if x < 1.0 else 0.0
    a = -0.5
    if x < 1.0:
        return ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0
    if x < 2.0:
        return (((x - 5.0) * x + 8.0) * x - 4.0) * a
    return 0.0


def axis_matrix(in_size: int, out_size: int, start: float, length: float, kind: str) -> np.ndarray:
    """Matrix M (out_size x in_size) with output = M @ input along one axis."""
    support_base = 1.0 if kind == "bilinear" else 2.0
    scale = length / out_size
    filter_scale = max(scale, 1.0)
    support = support_base * filter_scale
    taps = int(math.ceil(support * 2.0)) + 2
    m = np.zeros((out_size, in_size))
    for i in range(out_size):
        center = start + (i + 0.5) * scale
        lo = int(math.floor(center - support + 0.5))
        hi = int(math.floor(center + support + 0.5))
        lo = min(max(lo, 0), in_size - 1)
        hi = min(max(hi, lo + 1), in_size)
        hi = min(hi, lo + taps)
        w = np.array([filter_weight(kind, (x - center + 0.5) / filter_scale) for x in range(lo, hi)])
        if w.sum() == 0:
            m[i, lo] = 1.0
        else:
            m[i, lo:hi] = w / w.sum()
    return m


def region(width: int, height: int, in_w: int, in_h: int, crop: float | None):
    if crop is None:
        return 0.0, 0.0, float(width), float(height)
    scale = min(in_w, in_h) / crop / min(width, height)
    w = min(in_w / scale, width)
    h = min(in_h / scale, height)
    return (width - w) / 2.0, (height - h) / 2.0, w, h


def resample(image: np.ndarray, in_w: int, in_h: int, crop: float | None, kind: str) -> np.ndarray:
    """HxWx3 uint8 -> 3 x in_h x in_w float64 (unnormalised 0...255)."""
    height, width, _ = image.shape
    x, y, w, h = region(width, height, in_w, in_h, crop)
    mx = axis_matrix(width, in_w, x, w, kind)
    my = axis_matrix(height, in_h, y, h, kind)
    planes = image.astype(np.float64).transpose(2, 0, 1)  # C, H, W
    return np.stack([my @ p @ mx.T for p in planes])


def tensor(image: np.ndarray, in_w: int, in_h: int, crop: float | None, kind: str,
           scale: tuple[float, float, float], offset: tuple[float, float, float]) -> np.ndarray:
    """The NCHW float32 model input (batch of one)."""
    planes = resample(image, in_w, in_h, crop, kind)
    out = np.stack([planes[c] * scale[c] + offset[c] for c in range(3)])
    return out[None].astype(np.float32)


# The two pre-processing recipes the tests use.
EFFICIENTNET_LITE = dict(crop=0.875, kind="bicubic", scale=(1 / 128,) * 3, offset=(-127 / 128,) * 3)
_MEAN, _STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
JETSON = dict(crop=None, kind="bilinear", scale=tuple(1 / (255 * s) for s in _STD),
              offset=tuple(-m / s for m, s in zip(_MEAN, _STD)))
