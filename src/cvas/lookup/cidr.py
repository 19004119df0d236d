"""The registered address space as the shortest equivalent CIDR list, per family (vectorised).

Two steps: keep the prefixes no other contains (in pre-order a prefix is nested exactly when some
earlier one ends at or after its start), then merge sibling halves into their parent, longest
length first, until no two siblings remain. The result is the unique minimal list of aligned
blocks covering exactly the same addresses, as `ipaddress.collapse_addresses` gives.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import numpy as np

from cvas.lookup import frame


def maximal(hi: np.ndarray, lo: np.ndarray, plen: np.ndarray) -> tuple[np.ndarray, ...]:
    """The prefixes not inside another (left-aligned frame), sorted."""
    if len(hi) == 0:
        return hi, lo, plen
    plen = plen.astype(np.int64)
    order = np.lexsort((plen, lo, hi))
    hi, lo, plen = hi[order], lo[order], plen[order]
    host_hi = np.where(
        plen >= 64, np.uint64(0), frame.ALL >> np.minimum(plen, 63).astype(np.uint64)
    )
    host_hi = np.where(plen == 0, frame.ALL, host_hi)
    end_hi = hi | host_hi
    if bool((plen <= 64).all()):
        ends, starts = end_hi, hi
    else:
        host_lo = np.where(
            plen <= 64,
            frame.ALL,
            frame.ALL >> np.clip(plen - 64, 0, 63).astype(np.uint64),
        )
        host_lo = np.where(plen >= 128, np.uint64(0), host_lo)
        ends, starts = frame.key16(end_hi, lo | host_lo), frame.key16(hi, lo)
    before = np.searchsorted(np.sort(ends), starts, side="left")
    top = (np.arange(len(hi)) - before) == 0
    return hi[top], lo[top], plen[top]


def aggregate(hi: np.ndarray, lo: np.ndarray, plen: np.ndarray) -> tuple[np.ndarray, ...]:
    """Minimal CIDR blocks covering the union of the prefixes (left-aligned frame), sorted."""
    hi, lo, plen = maximal(hi, lo, plen)
    if len(hi) == 0:
        return hi, lo, plen
    out_hi: list[np.ndarray] = []
    out_lo: list[np.ndarray] = []
    out_len: list[np.ndarray] = []
    carry_hi = np.zeros(0, np.uint64)
    carry_lo = np.zeros(0, np.uint64)
    for length in range(int(plen.max()), 0, -1):
        at = plen == length
        h = np.concatenate([hi[at], carry_hi])
        lw = np.concatenate([lo[at], carry_lo])
        if len(h) == 0:
            continue
        if len(carry_hi):
            order = np.lexsort((lw, h))
            h, lw = h[order], lw[order]
        k = frame.key(h, lw, length - 1)
        pair = np.zeros(len(h), dtype=bool)
        if len(h) > 1:
            pair[:-1] = k[1:] == k[:-1]
        merged = pair.copy()
        merged[1:] |= pair[:-1]
        out_hi.append(h[~merged])
        out_lo.append(lw[~merged])
        out_len.append(np.full(int((~merged).sum()), length, np.int64))
        carry_hi, carry_lo = h[pair], lw[pair]
    at = plen == 0
    h = np.concatenate([hi[at], carry_hi])
    lw = np.concatenate([lo[at], carry_lo])
    out_hi.append(h)
    out_lo.append(lw)
    out_len.append(np.zeros(len(h), np.int64))
    rh, rl, rp = np.concatenate(out_hi), np.concatenate(out_lo), np.concatenate(out_len)
    order = np.lexsort((rp, rl, rh))
    return rh[order], rl[order], rp[order]


def lines(version: int, hi: np.ndarray, lo: np.ndarray, plen: np.ndarray) -> Iterator[str]:
    """CIDR text of blocks in the left-aligned frame."""
    if version == 4:
        blob = (hi >> np.uint64(32)).astype(">u4").tobytes()
        ntoa = socket.inet_ntoa
        for i, p in enumerate(plen.tolist()):
            yield f"{ntoa(blob[4 * i : 4 * i + 4])}/{p}"
        return
    pairs = np.empty((len(hi), 2), dtype=">u8")
    pairs[:, 0] = hi
    pairs[:, 1] = lo
    blob = pairs.tobytes()
    ntop, af = socket.inet_ntop, socket.AF_INET6
    for i, p in enumerate(plen.tolist()):
        yield f"{ntop(af, blob[16 * i : 16 * i + 16])}/{p}"


def aggregate_family(
    version: int, hi: np.ndarray, lo: np.ndarray, plen: np.ndarray
) -> tuple[np.ndarray, ...]:
    """As `aggregate`, from the index's own columns (IPv4 right-aligned in `lo`)."""
    h, lw = frame.left_align(version, hi, lo)
    return aggregate(h, lw, plen)
