"""Writing a MaxMind DB (format 2.0) of prefixes and their records, vectorised and in bounded memory.

The search tree is an IPv6 tree whose ::/96 subtree is the IPv4 tree (as MaxMind's own databases
do, so readers find IPv4 addresses there). Its nodes are built level by level with numpy: the
nodes at depth d are the distinct first-d-bit keys of the prefixes longer than d (found from the
deepest level up, so the work is proportional to the tree, not to prefixes times depth); a child
slot that is no node holds the data of the most specific prefix covering it, or nothing. Nodes
are numbered breadth first. The data records are encoded first, into a temporary file, so that
only their offsets stay in memory; repeated strings (map keys, holders, licences) are written
once and pointed to.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import IO, Any

import numpy as np

from cvas.lookup import frame

METADATA_MARKER = b"\xab\xcd\xefMaxMind.com"
EMPTY = -1  # record codes while building: a node id >= 0, EMPTY, GRAFT or -(3 + record number)
GRAFT = -2  # the ::/96 slot, which leads to the IPv4 tree


# -- data section encoding -------------------------------------------------------------------------


def _ctrl(type_id: int, size: int) -> bytes:
    if type_id <= 7:
        first = type_id << 5
        ext = b""
    else:
        first = 0
        ext = bytes([type_id - 7])
    if size < 29:
        return bytes([first | size]) + ext
    if size < 285:
        return bytes([first | 29]) + ext + bytes([size - 29])
    if size < 65821:
        return bytes([first | 30]) + ext + (size - 285).to_bytes(2, "big")
    return bytes([first | 31]) + ext + (size - 65821).to_bytes(3, "big")


def enc_str(s: str) -> bytes:
    b = s.encode()
    return _ctrl(2, len(b)) + b


def enc_uint(value: int, type_id: int = 6) -> bytes:
    b = value.to_bytes((value.bit_length() + 7) // 8, "big") if value else b""
    return _ctrl(type_id, len(b)) + b


def enc_pointer(offset: int) -> bytes:
    if offset < 2048:
        return bytes([0x20 | (offset >> 8), offset & 0xFF])
    if offset < 526336:
        v = offset - 2048
        return bytes([0x28 | (v >> 16), (v >> 8) & 0xFF, v & 0xFF])
    if offset < 134744064:
        v = offset - 526336
        return bytes([0x30 | (v >> 24), (v >> 16) & 0xFF, (v >> 8) & 0xFF, v & 0xFF])
    return bytes([0x38]) + offset.to_bytes(4, "big")


def encode(value: Any) -> bytes:
    """Any metadata value: dict, list, str, bool, int (uint32 or uint64)."""
    if isinstance(value, bool):
        return _ctrl(14, int(value))
    if isinstance(value, dict):
        return _ctrl(7, len(value)) + b"".join(enc_str(k) + encode(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return _ctrl(11, len(value)) + b"".join(encode(v) for v in value)
    if isinstance(value, str):
        return enc_str(value)
    if isinstance(value, int):
        if value < 1 << 16:
            return enc_uint(value, 5)
        if value < 1 << 32:
            return enc_uint(value, 6)
        return enc_uint(value, 9)
    raise TypeError(f"cannot encode {type(value).__name__} in a MaxMind DB")


class DataWriter:
    """Appends records to the data section (a file), pointing to strings written before."""

    def __init__(self, out: IO[bytes]) -> None:
        self.out = out
        self.size = 0
        self._pointers: dict[str, bytes] = {}

    def write(self, blob: bytes) -> int:
        at = self.size
        self.out.write(blob)
        self.size += len(blob)
        return at

    def shared(self, text: str) -> bytes:
        """A pointer to `text`, written the first time it is asked for."""
        ptr = self._pointers.get(text)
        if ptr is None:
            ptr = self._pointers[text] = enc_pointer(self.write(enc_str(text)))
        return ptr


# -- the search tree -------------------------------------------------------------------------------


@dataclass
class Tree:
    levels: list[tuple[np.ndarray, np.ndarray]]  # per depth: (left, right) record codes
    root: int  # when there are no nodes: the code the root slot would hold

    @property
    def nodes(self) -> int:
        return sum(len(left) for left, _ in self.levels)


def build_tree(hi: np.ndarray, lo: np.ndarray, plen: np.ndarray, codes: np.ndarray) -> Tree:
    """Prefixes (left-aligned frame; unique, sorted by address then length) and the code each
    slot they own should hold, into the breadth-first levels of a binary search tree."""
    n = len(hi)
    plen = plen.astype(np.int64)
    maxp = int(plen.max()) if n else 0
    by_len = np.argsort(plen, kind="stable")  # address order kept within a length
    bounds = np.searchsorted(plen[by_len], np.arange(maxp + 2))

    def exact(d: int) -> tuple[np.ndarray, np.ndarray]:
        ix = by_len[bounds[d] : bounds[d + 1]]
        return frame.key(hi[ix], lo[ix], d), codes[ix]

    # Node keys per depth, from the deepest up: a node at d is the d-bit stem of a node at d+1
    # or of a prefix of length d+1.
    # (Down to depth 64 a key is its high half alone: no low halves are kept for those levels.)
    node_hi: list[np.ndarray | None] = [None] * maxp
    node_lo: list[np.ndarray | None] = [None] * maxp
    below_hi, below_lo = np.zeros(0, np.uint64), np.zeros(0, np.uint64)
    for d in range(maxp - 1, -1, -1):
        ix = by_len[bounds[d + 1] : bounds[d + 2]]
        h = np.concatenate([below_hi, hi[ix]])
        lw = np.concatenate([below_lo, lo[ix]])
        h, lw = frame.masked(h, lw, d)
        if d <= 64:
            top = np.unique(h)
            node_hi[d], node_lo[d] = top, None
            below_hi, below_lo = top, np.zeros(len(top), np.uint64)
        else:
            below_hi, below_lo = frame.unique_sorted(h, lw)
            node_hi[d], node_lo[d] = below_hi, below_lo
        del h, lw
    del below_hi, below_lo

    def nodes_at(d: int) -> tuple[np.ndarray, np.ndarray]:
        h = node_hi[d]
        assert h is not None
        lw = node_lo[d]
        return h, (lw if lw is not None else np.zeros(len(h), np.uint64))

    levels: list[tuple[np.ndarray, np.ndarray]] = []
    root = EMPTY
    _, c0 = exact(0) if n else (np.zeros(0, np.uint64), np.zeros(0, np.int64))
    if len(c0):
        root = int(c0[-1])
    offset = 0
    prev_keys: np.ndarray | None = None
    prev_owner: np.ndarray | None = None
    for d in range(maxp):
        h, lw = nodes_at(d)
        keys = frame.key(h, lw, d)
        if prev_keys is None:
            owner = np.full(len(h), root, dtype=np.int64)
        else:
            assert prev_owner is not None
            owner = prev_owner[np.searchsorted(prev_keys, frame.key(h, lw, d - 1))]
        if d:
            ek, ec = exact(d)
            _assign(owner, keys, ek, ec)
        next_offset = offset + len(h)
        nk = frame.key(*nodes_at(d + 1), d + 1) if d + 1 < maxp else np.zeros(0, np.uint64)
        ek1, ec1 = exact(d + 1)
        children = []
        for ch, cl in ((h, lw), frame.with_bit(h, lw, d)):
            ck = frame.key(ch, cl, d + 1)
            rec = owner.copy()
            _assign(rec, ck, ek1, ec1)
            _assign(rec, ck, nk, np.arange(next_offset, next_offset + len(nk), dtype=np.int64))
            children.append(rec)
        # int32: node ids and record numbers both fit, and the levels wait in memory until the end.
        levels.append((children[0].astype(np.int32), children[1].astype(np.int32)))
        prev_keys, prev_owner = keys, owner
        offset = next_offset
        node_hi[d] = node_lo[d] = None  # done with this level's nodes: only their keys remain
        del h, lw, children
    return Tree(levels=levels, root=root)


def _assign(target: np.ndarray, keys: np.ndarray, table: np.ndarray, values: np.ndarray) -> None:
    """target[i] = values[j] where keys[i] == table[j] (table sorted, unique)."""
    if not len(table) or not len(keys):
        return
    j = np.searchsorted(table, keys)
    jc = np.minimum(j, len(table) - 1)
    hit = (j < len(table)) & (table[jc] == keys)
    target[hit] = values[jc[hit]]


# -- the file --------------------------------------------------------------------------------------


def write(
    out: IO[bytes],
    *,
    families: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]],
    record_count: int,
    encode_record: Callable[[int, DataWriter], int],
    database_type: str,
    description: str,
    prefix_keys: Iterable[str] = (),
    tmp_dir: str | None = None,
) -> dict[str, int]:
    """Write a database. `families` maps 4 and 6 to (hi, lo, plen) columns of the index's own
    form (IPv4 right-aligned) with row i's record written by `encode_record(i, writer)`, which
    returns its offset. Returns figures (nodes, record size, bytes)."""
    with tempfile.TemporaryFile(dir=tmp_dir) as data_file:
        writer = DataWriter(data_file)
        for k in prefix_keys:
            writer.shared(k)
        offsets = np.empty(record_count, dtype=np.int64)
        for i in range(record_count):
            offsets[i] = encode_record(i, writer)
        trees: dict[int, Tree] = {}
        rows_of: dict[int, np.ndarray] = {}
        start = 0
        for version in (4, 6):
            hi, lo, plen = families.get(
                version, (np.zeros(0, np.uint64),) * 2 + (np.zeros(0, np.uint8),)
            )
            h, lw = frame.left_align(version, hi, lo)
            rows = np.arange(start, start + len(hi), dtype=np.int64)
            start += len(hi)
            rows_of[version] = rows
            codes = -(3 + rows) if len(rows) else np.zeros(0, np.int64)
            if version == 6:
                # The IPv4 tree hangs at ::/96.
                h = np.concatenate([h, np.zeros(1, np.uint64)])
                lw = np.concatenate([lw, np.zeros(1, np.uint64)])
                plen = np.concatenate([plen.astype(np.int64), np.array([96])])
                codes = np.concatenate([codes, np.array([GRAFT], dtype=np.int64)])
            order = np.lexsort((np.arange(len(h)), plen, lw, h))
            h, lw, plen, codes = h[order], lw[order], plen[order].astype(np.int64), codes[order]
            # Equal prefixes: the last (the most specific registration) wins.
            if len(h):
                last = np.ones(len(h), dtype=bool)
                last[:-1] = (h[1:] != h[:-1]) | (lw[1:] != lw[:-1]) | (plen[1:] != plen[:-1])
                h, lw, plen, codes = h[last], lw[last], plen[last], codes[last]
            trees[version] = build_tree(h, lw, plen, codes)
        return _emit(out, trees, writer, data_file, offsets, database_type, description)


def _final(
    codes: np.ndarray, node_offset: int, node_count: int, graft: int, offsets: np.ndarray
) -> np.ndarray:
    """Record codes into record values: node ids numbered from `node_offset`, 'nothing' as
    node_count, data as its offset past the 16-byte separator."""
    v = codes.astype(np.int64)
    out = v.copy()
    out[v >= 0] += node_offset
    out[v == EMPTY] = node_count
    out[v == GRAFT] = graft
    data = v <= -3
    out[data] = node_count + 16 + offsets[-v[data] - 3]
    return out


def _emit(
    out: IO[bytes],
    trees: dict[int, Tree],
    writer: DataWriter,
    data_file: IO[bytes],
    offsets: np.ndarray,
    database_type: str,
    description: str,
) -> dict[str, int]:
    t6, t4 = trees[6], trees[4]
    n6, n4 = t6.nodes, t4.nodes
    node_count = n6 + n4
    # The ::/96 slot: the IPv4 tree's root node, or (no IPv4 node) what its root slot would hold.
    graft = n6 if n4 else int(_final(np.array([t4.root]), 0, node_count, node_count, offsets)[0])
    max_value = node_count + 16 + writer.size
    record_size = 24 if max_value < 1 << 24 else 28 if max_value < 1 << 28 else 32
    if max_value >= 1 << 32:
        raise ValueError("the database would be larger than a MaxMind DB can address")
    for tree, node_offset in ((t6, 0), (t4, n6)):
        for left, right in tree.levels:
            out.write(
                _pack(
                    _final(left, node_offset, node_count, graft, offsets),
                    _final(right, node_offset, node_count, graft, offsets),
                    record_size,
                )
            )
    out.write(b"\x00" * 16)
    data_file.seek(0)
    shutil.copyfileobj(data_file, out, 1 << 20)
    out.write(METADATA_MARKER)
    # libmaxminddb insists on each field's exact type.
    meta = {
        "binary_format_major_version": enc_uint(2, 5),
        "binary_format_minor_version": enc_uint(0, 5),
        "build_epoch": enc_uint(int(time.time()), 9),
        "database_type": enc_str(database_type),
        "description": encode({"en": description}),
        "ip_version": enc_uint(6, 5),
        "languages": encode(["en"]),
        "node_count": enc_uint(node_count, 6),
        "record_size": enc_uint(record_size, 5),
    }
    out.write(_ctrl(7, len(meta)) + b"".join(enc_str(k) + v for k, v in meta.items()))
    return {"nodes": node_count, "record_size": record_size, "data_bytes": writer.size}


def _pack(left: np.ndarray, right: np.ndarray, record_size: int) -> bytes:
    n = len(left)
    lv = left.astype(np.uint64)
    rv = right.astype(np.uint64)
    if record_size == 24:
        out = np.empty((n, 6), dtype=np.uint8)
        for i, shift in enumerate((16, 8, 0)):
            out[:, i] = (lv >> np.uint64(shift)) & np.uint64(0xFF)
            out[:, 3 + i] = (rv >> np.uint64(shift)) & np.uint64(0xFF)
    elif record_size == 28:
        out = np.empty((n, 7), dtype=np.uint8)
        for i, shift in enumerate((16, 8, 0)):
            out[:, i] = (lv >> np.uint64(shift)) & np.uint64(0xFF)
            out[:, 4 + i] = (rv >> np.uint64(shift)) & np.uint64(0xFF)
        out[:, 3] = (((lv >> np.uint64(24)) & np.uint64(0xF)) << np.uint64(4)) | (
            (rv >> np.uint64(24)) & np.uint64(0xF)
        )
    else:
        out = np.empty((n, 8), dtype=np.uint8)
        for i, shift in enumerate((24, 16, 8, 0)):
            out[:, i] = (lv >> np.uint64(shift)) & np.uint64(0xFF)
            out[:, 4 + i] = (rv >> np.uint64(shift)) & np.uint64(0xFF)
    return out.tobytes()


def write_file(path: str, **kwargs: Any) -> dict[str, int]:
    tmp = f"{path}.part"
    with open(tmp, "wb") as out:
        figures = write(out, tmp_dir=os.path.dirname(os.path.abspath(path)) or None, **kwargs)
    os.replace(tmp, path)
    return figures
