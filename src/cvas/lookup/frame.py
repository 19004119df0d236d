"""Prefixes of either family as 128-bit numbers in two uint64 columns, left-aligned (an IPv4
address fills the top 32 bits), so that "the first d bits" means the same for both families and a
depth-d key is one uint64 for d <= 64 and a 16-byte string (that sorts as the number does) beyond.
Shared by the CIDR aggregation and the MaxMind DB writer."""

from __future__ import annotations

import numpy as np

ALL = np.uint64((1 << 64) - 1)


def ones(bits: int) -> np.uint64:
    """The low `bits` (0..64) bits set."""
    return ALL if bits >= 64 else np.uint64((1 << bits) - 1)


def top(bits: int) -> np.uint64:
    """The high `bits` (0..64) bits set."""
    return np.uint64(~int(ones(64 - bits)) & ((1 << 64) - 1))


def key16(hi: np.ndarray, lo: np.ndarray) -> np.ndarray:
    out = np.empty((len(hi), 2), dtype=">u8")
    out[:, 0] = hi
    out[:, 1] = lo
    return out.view("S16").reshape(len(hi))


def key(hi: np.ndarray, lo: np.ndarray, depth: int) -> np.ndarray:
    """The first `depth` bits, as a sortable key."""
    if depth <= 64:
        return hi & top(depth)
    return key16(hi, lo & top(depth - 64))


def masked(hi: np.ndarray, lo: np.ndarray, depth: int) -> tuple[np.ndarray, np.ndarray]:
    if depth <= 64:
        return hi & top(depth), np.zeros_like(lo)
    return hi, lo & top(depth - 64)


def with_bit(hi: np.ndarray, lo: np.ndarray, depth: int) -> tuple[np.ndarray, np.ndarray]:
    """The address with bit `depth` (0 = the first) set."""
    if depth < 64:
        return hi | np.uint64(1 << (63 - depth)), lo
    return hi, lo | np.uint64(1 << (127 - depth))


def left_align(version: int, hi: np.ndarray, lo: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if version == 4:
        return lo.astype(np.uint64) << np.uint64(32), np.zeros(len(lo), np.uint64)
    return hi.astype(np.uint64), lo.astype(np.uint64)


def unique_sorted(hi: np.ndarray, lo: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sort (hi, lo) pairs and drop repeats."""
    if len(hi) == 0:
        return hi, lo
    order = np.lexsort((lo, hi))
    hi, lo = hi[order], lo[order]
    keep = np.ones(len(hi), dtype=bool)
    keep[1:] = (hi[1:] != hi[:-1]) | (lo[1:] != lo[:-1])
    return hi[keep], lo[keep]
