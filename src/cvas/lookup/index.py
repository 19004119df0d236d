"""The in-memory lookup index: every active prefix registration, flattened per address family into
sorted disjoint intervals, each owned by the most specific registration that covers it.

Layout (see README, "Lookup"): a *base* built once from columns (numpy, vectorised: 10 million
prefixes in seconds), plus a small *overlay* of the registrations changed since, kept in step by
`cvas.lookup.runtime`. A single lookup is one `bisect` over a flat `array` of interval starts and
one read of the owner; a batch is one `numpy.searchsorted`. Nested prefixes need no tree: the
sweep below gives every row its parent (the nearest enclosing prefix), so a row that has ended,
or that the asker may not see (an individual's, for the public), hands over to its parent.
"""

from __future__ import annotations

import socket
import struct
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import compress
from typing import Any, NamedTuple

import numpy as np

from cvas.lookup.netkeys import WIDTH, format_prefix

DEAD = 1  # the base row's registration changed or ended after the base was built
PRIVATE = 2  # held by an individual: never shown to the public
PUBLIC = DEAD | PRIVATE  # mask of rows the public may not be answered with
FULL = DEAD  # mask for network operators, licensees and staff
M64 = (1 << 64) - 1
_U64_ALL = np.uint64(M64)
_pton = socket.inet_pton
_AF4 = socket.AF_INET
_U32 = struct.Struct(">I").unpack
_QQ = struct.Struct(">QQ").unpack
DIR4_BITS = 18
DENSE = 64  # IPv6 /32s with at least this many intervals get their own bisect range


class Holder(NamedTuple):
    holder_type: str  # organisation | individual
    name: str  # the organisation's name; empty for an individual
    organisation_id: int | None


INDIVIDUAL = Holder("individual", "", None)


@dataclass
class Columns:
    """One row per active prefix registration, in registration-id order."""

    ids: np.ndarray  # int64, ascending
    version: np.ndarray  # uint8: 4 or 6
    plen: np.ndarray  # uint8
    hi: np.ndarray  # uint64: high 64 bits of the first address (0 for IPv4)
    lo: np.ndarray  # uint64: low 64 bits (the whole address for IPv4)
    holder: np.ndarray  # int32: row in `holders`
    licence: np.ndarray  # int32: licence id, -1 for none (a portal registration)
    since: np.ndarray  # int64: registered (active) since, Unix seconds
    handles: np.ndarray  # bytes ('S<n>')
    holders: list[Holder] = field(default_factory=lambda: [INDIVIDUAL])

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def nbytes(self) -> int:
        arrays = (self.ids, self.version, self.plen, self.hi, self.lo, self.holder)
        return sum(a.nbytes for a in (*arrays, self.licence, self.since, self.handles))


@dataclass(frozen=True, slots=True)
class Record:
    """A registration as the index holds it: what a lookup answers with (no personal data)."""

    registration_id: int
    handle: str
    version: int
    network: int
    prefix_len: int
    holder: Holder
    licence_id: int | None
    since: int

    @property
    def prefix(self) -> str:
        return format_prefix(self.version, self.network, self.prefix_len)

    @property
    def individual(self) -> bool:
        return self.holder.holder_type == "individual"

    @property
    def last(self) -> int:
        return self.network | ((1 << (WIDTH[self.version] - self.prefix_len)) - 1)


class ColumnsBuilder:
    """Collects rows (any order) and hands back sorted `Columns`; chunked so that ten million rows
    never sit in Python lists at once."""

    CHUNK = 200_000

    def __init__(self) -> None:
        self.holders: list[Holder] = [INDIVIDUAL]
        self._holder_ix: dict[Holder, int] = {INDIVIDUAL: 0}
        self._chunks: list[tuple[np.ndarray, ...]] = []
        self._rows: list[tuple[int, int, int, int, int, int, int, bytes]] = []
        self._width = 1

    def holder_index(self, holder: Holder) -> int:
        ix = self._holder_ix.get(holder)
        if ix is None:
            ix = self._holder_ix[holder] = len(self.holders)
            self.holders.append(holder)
        return ix

    def add(self, record: Record) -> None:
        self.add_raw(
            record.registration_id,
            record.version,
            record.prefix_len,
            record.network,
            self.holder_index(record.holder),
            -1 if record.licence_id is None else record.licence_id,
            record.since,
            record.handle.encode(),
        )

    def add_raw(
        self,
        reg_id: int,
        version: int,
        plen: int,
        network: int,
        holder: int,
        licence: int,
        since: int,
        handle: bytes,
    ) -> None:
        self._rows.append((reg_id, version, plen, network, holder, licence, since, handle))
        if len(self._rows) >= self.CHUNK:
            self._flush()

    def _flush(self) -> None:
        rows = self._rows
        if not rows:
            return
        ids, versions, plens, nets, holders, licences, sinces, handles = zip(*rows, strict=True)
        hi = np.fromiter((n >> 64 for n in nets), dtype=np.uint64, count=len(rows))
        lo = np.fromiter((n & M64 for n in nets), dtype=np.uint64, count=len(rows))
        self._width = max(self._width, max(len(h) for h in handles))
        self._chunks.append(
            (
                np.array(ids, dtype=np.int64),
                np.array(versions, dtype=np.uint8),
                np.array(plens, dtype=np.uint8),
                hi,
                lo,
                np.array(holders, dtype=np.int32),
                np.array(licences, dtype=np.int32),
                np.array(sinces, dtype=np.int64),
                np.array(handles, dtype="S"),
            )
        )
        self._rows = []

    def build(self) -> Columns:
        self._flush()
        if not self._chunks:
            return empty_columns()
        parts = list(zip(*self._chunks, strict=True))
        self._chunks = []
        handles = np.concatenate([p.astype(f"S{self._width}") for p in parts[8]])
        cols = Columns(
            ids=np.concatenate(parts[0]),
            version=np.concatenate(parts[1]),
            plen=np.concatenate(parts[2]),
            hi=np.concatenate(parts[3]),
            lo=np.concatenate(parts[4]),
            holder=np.concatenate(parts[5]),
            licence=np.concatenate(parts[6]),
            since=np.concatenate(parts[7]),
            handles=handles,
            holders=self.holders,
        )
        return sort_columns(cols)


def empty_columns() -> Columns:
    return Columns(
        ids=np.zeros(0, np.int64),
        version=np.zeros(0, np.uint8),
        plen=np.zeros(0, np.uint8),
        hi=np.zeros(0, np.uint64),
        lo=np.zeros(0, np.uint64),
        holder=np.zeros(0, np.int32),
        licence=np.zeros(0, np.int32),
        since=np.zeros(0, np.int64),
        handles=np.zeros(0, "S1"),
    )


def sort_columns(cols: Columns) -> Columns:
    if len(cols.ids) > 1 and not bool(np.all(cols.ids[1:] > cols.ids[:-1])):
        order = np.argsort(cols.ids, kind="stable")
        for name in ("ids", "version", "plen", "hi", "lo", "holder", "licence", "since", "handles"):
            setattr(cols, name, getattr(cols, name)[order])
    return cols


# -- 128-bit helpers over (hi, lo) uint64 pairs ------------------------------------------------


def _ones(bits: np.ndarray) -> np.ndarray:
    """uint64 masks of `bits` (0..64) low one-bits."""
    b = bits.astype(np.uint64)
    small = (np.uint64(1) << np.minimum(b, np.uint64(63))) - np.uint64(1)
    return np.where(b >= 64, _U64_ALL, small)


def _key16(hi: np.ndarray, lo: np.ndarray) -> np.ndarray:
    """Big-endian 16-byte keys that sort and compare as the 128-bit numbers do."""
    out = np.empty((len(hi), 2), dtype=">u8")
    out[:, 0] = hi
    out[:, 1] = lo
    return out.view("S16").reshape(len(hi))


@dataclass
class Family:
    """The flattened intervals of one address family."""

    version: int
    starts: Any  # array('I') for IPv4; for IPv6 the high halves, array('Q')
    starts_lo: Any  # IPv6: array('Q') of the low halves; None for IPv4
    owners: array  # array('i'): the row owning each interval, -1 for none

    def __len__(self) -> int:
        return len(self.owners)

    @property
    def nbytes(self) -> int:
        n = self.starts.itemsize * len(self.starts) + self.owners.itemsize * len(self.owners)
        if self.starts_lo is not None:
            n += self.starts_lo.itemsize * len(self.starts_lo)
        return n


def flatten(
    cols: Columns, rows: np.ndarray, width: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """For the rows of one family: (interval start hi, start lo, owner row) and each row's parent.

    Prefixes nest or are disjoint, so in pre-order (by first address, then length) a prefix's
    depth is its position minus the number of prefixes that end before it starts, and its parent
    is the last prefix before it one level up. An interval starts at every first address (owned
    by the deepest prefix starting there) and just past every last address (owned by the nearest
    ancestor that reaches further)."""
    n = len(rows)
    parent_rows = np.full(n, -1, dtype=np.int32)
    if n == 0:
        z = np.zeros(0, np.uint64)
        return z, z, np.zeros(0, np.int32), parent_rows
    hi, lo, plen = cols.hi[rows], cols.lo[rows], cols.plen[rows].astype(np.int64)
    host = width - plen
    end_lo = lo | _ones(np.clip(host, 0, 64))
    end_hi = hi | _ones(np.clip(host - 64, 0, 64)) if width > 64 else hi
    order = np.lexsort((cols.ids[rows], plen, lo, hi))  # pre-order
    hi, lo, end_hi, end_lo = hi[order], lo[order], end_hi[order], end_lo[order]
    wide = width > 64
    if wide:
        start_key, end_key = _key16(hi, lo), _key16(end_hi, end_lo)
    else:
        start_key, end_key = lo, end_lo
    ended_before = np.searchsorted(np.sort(end_key), start_key, side="left")
    depth = np.arange(n, dtype=np.int64) - ended_before
    del ended_before
    parent = np.full(n, -1, dtype=np.int64)
    by_depth = np.argsort(depth, kind="stable")
    bounds = np.searchsorted(depth[by_depth], np.arange(int(depth.max()) + 2))
    for d in range(1, len(bounds) - 1):
        here = by_depth[bounds[d] : bounds[d + 1]]
        above = by_depth[bounds[d - 1] : bounds[d]]
        parent[here] = above[np.searchsorted(above, here) - 1]
    del by_depth, depth
    # Who owns the addresses just past each prefix: the nearest ancestor that ends later.
    after = parent.copy()
    todo = np.flatnonzero(after >= 0)
    while len(todo):
        same = end_key[after[todo]] == end_key[todo]
        todo = todo[same]
        after[todo] = parent[after[todo]]
        todo = todo[after[todo] >= 0]
    next_lo = end_lo + np.uint64(1)
    if wide:
        carry = next_lo == 0
        next_hi = end_hi + carry.astype(np.uint64)
        keep = ~(carry & (end_hi == _U64_ALL))
    else:
        next_hi = end_hi
        keep = end_lo < np.uint64((1 << width) - 1)
    pos = np.arange(n, dtype=np.int64)
    pt_hi = np.concatenate([hi, next_hi[keep]])
    pt_lo = np.concatenate([lo, next_lo[keep]])
    pt_prio = np.concatenate([np.ones(n, np.int8), np.zeros(int(keep.sum()), np.int8)])
    pt_owner = np.concatenate([pos, after[keep]])
    pt_tie = np.concatenate([pos, np.zeros(int(keep.sum()), np.int64)])
    del next_lo, next_hi, keep, after
    seq = np.lexsort((pt_tie, pt_prio, pt_lo, pt_hi))
    pt_hi, pt_lo, pt_owner = pt_hi[seq], pt_lo[seq], pt_owner[seq]
    del seq, pt_prio, pt_tie
    last = np.ones(len(pt_hi), dtype=bool)  # the last point of each run of equal addresses wins
    last[:-1] = (pt_hi[1:] != pt_hi[:-1]) | (pt_lo[1:] != pt_lo[:-1])
    pt_hi, pt_lo, pt_owner = pt_hi[last], pt_lo[last], pt_owner[last]
    change = np.ones(len(pt_owner), dtype=bool)  # merge neighbours with the same owner
    change[1:] = pt_owner[1:] != pt_owner[:-1]
    pt_hi, pt_lo, pt_owner = pt_hi[change], pt_lo[change], pt_owner[change]
    in_rows = rows[order]
    owners = np.where(pt_owner >= 0, in_rows[np.maximum(pt_owner, 0)], -1).astype(np.int32)
    has_parent = parent >= 0
    parent_rows_sorted = np.where(has_parent, in_rows[np.maximum(parent, 0)], -1)
    parent_rows[order] = parent_rows_sorted
    return pt_hi, pt_lo, owners, parent_rows


class Overlay:
    """Registrations added or changed since the base was built, by family, length and start."""

    def __init__(self) -> None:
        self.by_id: dict[int, Record] = {}
        self.tables: dict[int, dict[int, dict[int, tuple[Record, ...]]]] = {4: {}, 6: {}}
        self.lengths: dict[int, list[int]] = {4: [], 6: []}  # longest first

    def __len__(self) -> int:
        return len(self.by_id)

    def put(self, rec: Record) -> None:
        self.remove(rec.registration_id)
        table = self.tables[rec.version]
        slot = table.setdefault(rec.prefix_len, {})
        others = slot.get(rec.network, ())
        slot[rec.network] = tuple(
            sorted((*others, rec), key=lambda r: r.registration_id, reverse=True)
        )
        self.by_id[rec.registration_id] = rec
        if rec.prefix_len not in self.lengths[rec.version]:
            self.lengths[rec.version] = sorted(
                {*self.lengths[rec.version], rec.prefix_len}, reverse=True
            )

    def remove(self, reg_id: int) -> None:
        old = self.by_id.pop(reg_id, None)
        if old is None:
            return
        slot = self.tables[old.version][old.prefix_len]
        rest = tuple(r for r in slot.get(old.network, ()) if r.registration_id != reg_id)
        if rest:
            slot[old.network] = rest
        else:
            slot.pop(old.network, None)

    def covering(self, version: int, value: int, maxlen: int) -> list[Record]:
        width = WIDTH[version]
        table = self.tables[version]
        out: list[Record] = []
        for length in self.lengths[version]:
            if length <= maxlen:
                out += table[length].get(value >> (width - length) << (width - length), ())
        return out

    def find(self, version: int, value: int, private_ok: bool, maxlen: int) -> Record | None:
        width = WIDTH[version]
        table = self.tables[version]
        for length in self.lengths[version]:
            if length > maxlen:
                continue
            slot = table[length].get(value >> (width - length) << (width - length))
            if slot:
                for rec in slot:
                    if private_ok or not rec.individual:
                        return rec
        return None


_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_CROCKFORD_VALUE = np.full(256, 255, dtype=np.uint8)
for _i, _c in enumerate(_CROCKFORD.encode()):
    _CROCKFORD_VALUE[_c] = _i


def _pack_handles(handles: np.ndarray) -> tuple[array, array] | None:
    """Registry handles ("EP-" + 14 Crockford base-32 digits) as a 10-bit and a 60-bit number;
    None when any handle has another form (then they are kept as text)."""
    if handles.dtype.itemsize != 17 or not len(handles):
        return None
    raw = np.frombuffer(np.ascontiguousarray(handles).tobytes(), dtype=np.uint8).reshape(-1, 17)
    if not bool((raw[:, :3] == np.frombuffer(b"EP-", dtype=np.uint8)).all()):
        return None
    digits = _CROCKFORD_VALUE[raw[:, 3:]].astype(np.uint64)
    if bool((digits == 255).any()):
        return None
    hi = (digits[:, 0] << np.uint64(5)) | digits[:, 1]
    lo = np.zeros(len(raw), dtype=np.uint64)
    for k in range(2, 14):
        lo = (lo << np.uint64(5)) | digits[:, k]
    return _as_array("H", hi.astype(np.uint16)), _as_array("Q", lo)


class _HandleColumn:
    """`cols.handles` after the index took the columns over: handles[row] -> bytes."""

    def __init__(self, ix: PrefixIndex) -> None:
        self._ix = ix

    def __getitem__(self, row: int) -> bytes:
        return self._ix.handle_of(int(row)).encode()

    def __len__(self) -> int:
        return len(self._ix._ids)


class RowRecord:
    """A registration of the base, read from its columns only when asked (a lookup answers with
    this: creating it costs one small object, not nine column reads)."""

    __slots__ = ("_ix", "row")

    def __init__(self, ix: PrefixIndex, row: int) -> None:
        self._ix = ix
        self.row = row

    @property
    def registration_id(self) -> int:
        return self._ix._ids[self.row]

    @property
    def handle(self) -> str:
        return self._ix.handle_of(self.row)

    @property
    def version(self) -> int:
        return self._ix._version[self.row]

    @property
    def network(self) -> int:
        ix, r = self._ix, self.row
        if ix._version[r] == 6:
            return ix._hi[r] << 64 | ix._lo[r]
        return ix._lo[r]

    @property
    def prefix_len(self) -> int:
        return self._ix.plen[self.row]

    @property
    def holder(self) -> Holder:
        return self._ix.cols.holders[self._ix._holder[self.row]]

    @property
    def licence_id(self) -> int | None:
        lic = self._ix._licence[self.row]
        return None if lic < 0 else lic

    @property
    def since(self) -> int:
        return self._ix._since[self.row]

    @property
    def individual(self) -> bool:
        return self._ix._holder[self.row] == 0

    @property
    def prefix(self) -> str:
        return format_prefix(self.version, self.network, self.prefix_len)

    @property
    def last(self) -> int:
        return self.network | ((1 << (WIDTH[self.version] - self.prefix_len)) - 1)

    def freeze(self) -> Record:
        return Record(
            registration_id=self.registration_id,
            handle=self.handle,
            version=self.version,
            network=self.network,
            prefix_len=self.prefix_len,
            holder=self.holder,
            licence_id=self.licence_id,
            since=self.since,
        )

    def __repr__(self) -> str:
        return f"<{self.handle} {self.prefix}>"


AnyRecord = Record | RowRecord


def _give_back_freed_memory() -> None:
    """Return the build's freed temporaries to the system (glibc keeps them otherwise), so that
    a worker's resident memory is the index's own."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _as_array(typecode: str, values: np.ndarray) -> array:
    out = array(typecode)
    out.frombytes(np.ascontiguousarray(values).tobytes())
    return out


class PrefixIndex:
    """Base (flattened; immutable but for the DEAD flag) plus overlay."""

    def __init__(self, cols: Columns) -> None:
        self.cols = cols
        n = len(cols)
        # Per-row columns as flat arrays: one read is a C index, not a numpy scalar.
        small_ids = not len(cols.ids) or int(cols.ids[-1]) < 1 << 32
        self._ids = _as_array(
            "I" if small_ids else "q", cols.ids.astype(np.uint32 if small_ids else np.int64)
        )
        self._version = _as_array("B", cols.version.astype(np.uint8))
        self._hi = _as_array("Q", cols.hi.astype(np.uint64))
        self._lo = _as_array("Q", cols.lo.astype(np.uint64))
        self._holder = _as_array("i", cols.holder.astype(np.int32))
        self._licence = _as_array("i", cols.licence.astype(np.int32))
        self._since = _as_array("I", np.clip(cols.since, 0, (1 << 32) - 1).astype(np.uint32))
        self._handle_width = max(1, cols.handles.dtype.itemsize)
        packed = _pack_handles(cols.handles)
        if packed is not None:  # "EP-" and 14 Crockford digits: 70 bits in 10 bytes, not 17
            self._handles = b""
            self._handle_hi, self._handle_lo = packed
        else:
            self._handles = cols.handles.astype(f"S{self._handle_width}").tobytes()
            self._handle_hi, self._handle_lo = array("H"), array("Q")
        self.plen = _as_array("B", cols.plen.astype(np.uint8))
        # The columns now live in the arrays above; numpy views over them for batches.
        cols.ids = np.frombuffer(self._ids, dtype=np.uint32 if small_ids else np.int64)
        cols.version = np.frombuffer(self._version, dtype=np.uint8)
        cols.hi = np.frombuffer(self._hi, dtype=np.uint64)
        cols.lo = np.frombuffer(self._lo, dtype=np.uint64)
        cols.holder = np.frombuffer(self._holder, dtype=np.int32)
        cols.licence = np.frombuffer(self._licence, dtype=np.int32)
        cols.since = np.frombuffer(self._since, dtype=np.uint32)
        cols.plen = np.frombuffer(self.plen, dtype=np.uint8)
        cols.handles = _HandleColumn(self)  # type: ignore[assignment]
        flags = np.zeros(n, dtype=np.uint8)
        flags[cols.holder == 0] = PRIVATE
        self.flags = bytearray(flags.tobytes())
        self._flags_np = np.frombuffer(self.flags, dtype=np.uint8)
        parent = np.full(n, -1, dtype=np.int32)
        self.families: dict[int, Family] = {}
        for version in (4, 6):
            rows = np.flatnonzero(cols.version == version)
            s_hi, s_lo, owners, parents = flatten(cols, rows, WIDTH[version])
            parent[rows] = parents
            if version == 4:
                starts = _as_array("I", s_lo.astype(np.uint32))
                self.families[4] = Family(4, starts, None, _as_array("i", owners))
            else:
                self.families[6] = Family(
                    6, _as_array("Q", s_hi), _as_array("Q", s_lo), _as_array("i", owners)
                )
            del s_hi, s_lo, owners, parents
        self.parent = _as_array("i", parent)
        self._parent_np = np.frombuffer(self.parent, dtype=np.int32)
        self.overlay = Overlay()
        f4, f6 = self.families[4], self.families[6]
        self._s4, self._o4 = f4.starts, f4.owners
        self._h6, self._l6, self._o6 = f6.starts, f6.starts_lo, f6.owners
        self._s4_np = np.frombuffer(f4.starts, dtype=np.uint32)
        self._o4_np = np.frombuffer(f4.owners, dtype=np.int32)
        self._h6_np = np.frombuffer(f6.starts, dtype=np.uint64)
        self._l6_np = np.frombuffer(f6.starts_lo, dtype=np.uint64)
        self._o6_np = np.frombuffer(f6.owners, dtype=np.int32)
        # Narrow each bisect: IPv4 by the address's first 18 bits (a 1 MiB table), IPv6 by its
        # first 32 bits where many intervals share them.
        self._dir4 = _as_array(
            "i",
            np.searchsorted(
                self._s4_np,
                np.arange((1 << DIR4_BITS) + 1, dtype=np.uint64) << np.uint64(32 - DIR4_BITS),
            ).astype(np.int32),
        )
        self._dir6: dict[int, tuple[int, int]] = {}
        if len(f6):
            top = self._h6_np >> np.uint64(32)
            keys, first, counts = np.unique(top, return_index=True, return_counts=True)
            for k, f, c in zip(keys.tolist(), first.tolist(), counts.tolist(), strict=True):
                if c >= DENSE:
                    self._dir6[k] = (f, f + c)
        self.lookup = self._fast_lookup()
        _give_back_freed_memory()

    def handle_of(self, row: int) -> str:
        if self._handle_lo:
            hi, lo = self._handle_hi[row], self._handle_lo[row]
            digits = [hi >> 5, hi & 31] + [(lo >> (5 * k)) & 31 for k in range(11, -1, -1)]
            return "EP-" + "".join(_CROCKFORD[d] for d in digits)
        w = self._handle_width
        return self._handles[row * w : (row + 1) * w].rstrip(b"\0").decode()

    # -- size ----------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.cols) - self.dead_count() + len(self.overlay)

    def dead_count(self) -> int:
        return int(np.count_nonzero(self._flags_np & DEAD))

    @property
    def nbytes(self) -> int:
        """Bytes held by the base (columns, intervals, flags, parents, directories)."""
        fam = sum(f.nbytes for f in self.families.values())
        cols = sum(
            a.itemsize * len(a)
            for a in (self._ids, self._version, self._hi, self._lo, self._holder)
        )
        cols += self._licence.itemsize * len(self._licence) + self._since.itemsize * len(
            self._since
        )
        cols += len(self._handles) + 2 * len(self._handle_hi) + 8 * len(self._handle_lo)
        cols += len(self.plen) + len(self.flags) + 4 * len(self.parent)
        return cols + fam + 4 * len(self._dir4) + 120 * len(self._dir6)

    # -- single lookups ------------------------------------------------------------------------
    def base_row(self, version: int, value: int) -> int:
        """The base row owning the interval of `value`, before any check (-1 for none)."""
        if version == 4:
            d = self._dir4
            h = value >> (32 - DIR4_BITS)
            i = bisect_right(self._s4, value, d[h], d[h + 1]) - 1
            return self._o4[i] if i >= 0 else -1
        h = value >> 64
        hs = self._h6
        span = self._dir6.get(h >> 32)
        if span is not None:
            i = bisect_right(hs, h, span[0], span[1]) - 1
        else:
            i = bisect_right(hs, h) - 1
        if i >= 0 and hs[i] == h:
            low = value & M64
            if self._l6[i] > low:
                k = bisect_left(hs, h, 0, i)
                j = bisect_right(self._l6, low, k, i + 1) - 1
                i = j if j >= k else k - 1
        return self._o6[i] if i >= 0 else -1

    def find(
        self, version: int, value: int, *, mask: int = FULL, maxlen: int = 128
    ) -> AnyRecord | None:
        """The most specific registration covering `value` that `mask` lets through, of prefix
        length at most `maxlen` (so that, given a prefix's first address and its length, the
        answer covers the whole prefix)."""
        r = self.base_row(version, value)
        flags, parent, plen = self.flags, self.parent, self.plen
        while r >= 0 and (flags[r] & mask or plen[r] > maxlen):
            r = parent[r]
        if self.overlay.by_id:
            return self._with_overlay(version, value, r, mask, maxlen)
        return RowRecord(self, r) if r >= 0 else None

    def covering(self, version: int, value: int, *, maxlen: int = 128) -> list[AnyRecord]:
        """Every current registration covering `value` (length at most `maxlen`), most specific
        first: for askers whose view is not a simple mask (a licensee sees its own licence's
        individuals, no one else's)."""
        out: list[AnyRecord] = []
        r = self.base_row(version, value)
        while r >= 0:
            if not self.flags[r] & DEAD and self.plen[r] <= maxlen:
                out.append(RowRecord(self, r))
            r = self.parent[r]
        out += self.overlay.covering(version, value, maxlen)
        out.sort(key=lambda rec: (rec.prefix_len, rec.registration_id), reverse=True)
        return out

    def _with_overlay(
        self, version: int, value: int, r: int, mask: int, maxlen: int = 128
    ) -> AnyRecord | None:
        o = self.overlay.find(version, value, not mask & PRIVATE, maxlen)
        if o is not None and (
            r < 0
            or o.prefix_len > self.plen[r]
            or (o.prefix_len == self.plen[r] and o.registration_id > self._ids[r])
        ):
            return o
        return RowRecord(self, r) if r >= 0 else None

    def _fast_lookup(self) -> Callable[..., AnyRecord | None]:
        """`lookup(text, mask=FULL)`: the registration answering for an address given as text;
        None if not registered (or not an address). The path every single lookup takes, as a
        closure over the arrays it reads: locals, not attribute lookups."""
        s4, o4, d4 = self._s4, self._o4, self._dir4
        h6, l6, o6, d6 = self._h6, self._l6, self._o6, self._dir6
        flags, parent = self.flags, self.parent
        by_id = self.overlay.by_id
        with_overlay = self._with_overlay
        unpack, unpack6, pton, af4, af6 = _U32, _QQ, _pton, _AF4, socket.AF_INET6
        bisect, bisect_l = bisect_right, bisect_left
        make = RowRecord
        shift4 = 32 - DIR4_BITS

        def lookup(text: str, mask: int = FULL) -> AnyRecord | None:
            if ":" in text:
                try:
                    hi, lo = unpack6(pton(af6, text))
                except (OSError, TypeError):
                    return None
                if hi == 0 and lo >> 32 == 0xFFFF:
                    return lookup(socket.inet_ntoa((lo & 0xFFFFFFFF).to_bytes(4, "big")), mask)
                span = d6.get(hi >> 32)
                i = (bisect(h6, hi, span[0], span[1]) if span else bisect(h6, hi)) - 1
                if i >= 0 and h6[i] == hi and l6[i] > lo:
                    k = bisect_l(h6, hi, 0, i)
                    j = bisect(l6, lo, k, i + 1) - 1
                    i = j if j >= k else k - 1
                r = o6[i] if i >= 0 else -1
                version, value = 6, hi << 64 | lo
            else:
                try:
                    value = unpack(pton(af4, text))[0]
                except (OSError, TypeError):
                    return None
                h = value >> shift4
                i = bisect(s4, value, d4[h], d4[h + 1]) - 1
                r = o4[i] if i >= 0 else -1
                version = 4
            if r >= 0 and flags[r] & mask:
                while r >= 0 and flags[r] & mask:
                    r = parent[r]
            if by_id:
                return with_overlay(version, value, r, mask)
            return make(self, r) if r >= 0 else None

        return lookup

    def record(self, row: int) -> Record:
        return RowRecord(self, row).freeze()

    def row_of(self, reg_id: int) -> int:
        """The base row of a registration (-1 when the base does not hold it)."""
        ids = self.cols.ids
        i = int(np.searchsorted(ids, reg_id))
        return i if i < len(ids) and self._ids[i] == reg_id else -1

    def get(self, reg_id: int) -> AnyRecord | None:
        """A registration by id, as the index currently holds it (None if not active)."""
        rec = self.overlay.by_id.get(reg_id)
        if rec is not None:
            return rec
        row = self.row_of(reg_id)
        if row < 0 or self.flags[row] & DEAD:
            return None
        return RowRecord(self, row)

    # -- changes -------------------------------------------------------------------------------
    def apply(self, reg_id: int, rec: Record | None) -> None:
        """Make the index answer with `rec` for this registration (None: it is no longer active).
        The new state is published before the old one is retired, so that a concurrent reader
        sees one or the other, never neither."""
        row = self.row_of(reg_id)
        if rec is not None:
            if row >= 0 and not self.flags[row] & DEAD and self.record(row) == rec:
                self.overlay.remove(reg_id)
                return
            self.overlay.put(rec)
        else:
            self.overlay.remove(reg_id)
        if row >= 0:
            self.flags[row] |= DEAD

    # -- batches -------------------------------------------------------------------------------
    def lookup_many(
        self, texts: Sequence[str], *, mask: int = FULL
    ) -> list[AnyRecord | bool | None]:
        """One answer per text: a record, None (not registered) or False (not an address)."""
        rows, overlay_hits, bad = self.batch_rows(texts, mask=mask)
        out: list[AnyRecord | bool | None] = [
            RowRecord(self, r) if r >= 0 else None for r in rows.tolist()
        ]
        for i in bad:
            out[i] = False
        for i, rec in overlay_hits.items():
            out[i] = rec
        return out

    def batch_rows(
        self, texts: Sequence[str], *, mask: int = FULL
    ) -> tuple[np.ndarray, dict[int, Record], set[int]]:
        """Base rows for many addresses at once (parsing included): (rows with -1 for none,
        overlay answers by position, positions that are not addresses)."""
        n = len(texts)
        rows = np.full(n, -1, dtype=np.int32)
        bad: set[int] = set()
        is6 = np.fromiter([":" in t for t in texts], dtype=bool, count=n)
        if is6.any():
            pos4 = np.flatnonzero(~is6)
            pos6 = np.flatnonzero(is6)
        else:
            pos4 = np.arange(n)
            pos6 = pos4[:0]
        values4, pos4 = self._parse4(texts, pos4, bad)
        hi6, lo6, pos6, mapped = self._parse6(texts, pos6, bad)
        if len(mapped[0]):
            values4 = np.concatenate([values4, mapped[1]])
            pos4 = np.concatenate([pos4, mapped[0]])
        if len(pos4) and len(self._s4_np):
            i = np.searchsorted(self._s4_np, values4, side="right") - 1
            rows[pos4] = np.where(i >= 0, self._o4_np[np.maximum(i, 0)], -1)
        if len(pos6) and len(self._h6_np):
            i = np.searchsorted(self._h6_np, hi6, side="right") - 1
            at = np.maximum(i, 0)
            got = np.where(i >= 0, self._o6_np[at], -1)
            fix = np.flatnonzero((i >= 0) & (self._h6_np[at] == hi6) & (self._l6_np[at] > lo6))
            for k in fix.tolist():
                got[k] = self.base_row(6, int(hi6[k]) << 64 | int(lo6[k]))
            rows[pos6] = got
        self._climb(rows, mask)
        overlay_hits: dict[int, Record] = {}
        if self.overlay.by_id:
            for p, v in zip(pos4.tolist(), values4.tolist(), strict=True):
                self._overlay_pick(rows, overlay_hits, p, 4, int(v), mask)
            for p, h, lo in zip(pos6.tolist(), hi6.tolist(), lo6.tolist(), strict=True):
                self._overlay_pick(rows, overlay_hits, p, 6, h << 64 | lo, mask)
        return rows, overlay_hits, bad

    def _overlay_pick(
        self, rows: np.ndarray, hits: dict[int, Record], p: int, version: int, value: int, mask: int
    ) -> None:
        r = int(rows[p])
        best = self._with_overlay(version, value, r, mask)
        if isinstance(best, Record):
            hits[p] = best

    def _climb(self, rows: np.ndarray, mask: int) -> None:
        flags, parent = self._flags_np, self._parent_np
        todo = np.flatnonzero(rows >= 0)
        while len(todo):
            blocked = (flags[rows[todo]] & mask) != 0
            todo = todo[blocked]
            if not len(todo):
                break
            rows[todo] = parent[rows[todo]]
            todo = todo[rows[todo] >= 0]

    @staticmethod
    def _parse4(
        texts: Sequence[str], pos: np.ndarray, bad: set[int]
    ) -> tuple[np.ndarray, np.ndarray]:
        if not len(pos):
            return np.zeros(0, np.uint32), pos
        chosen = list(texts) if len(pos) == len(texts) else [texts[i] for i in pos.tolist()]
        try:
            packed = b"".join([_pton(_AF4, t) for t in chosen])
            return np.frombuffer(packed, dtype=">u4").astype(np.uint32), pos
        except (OSError, TypeError, ValueError):
            pass
        good: list[bytes] = []
        keep = np.ones(len(pos), dtype=bool)
        for k, t in enumerate(chosen):
            try:
                good.append(_pton(_AF4, t))
            except (OSError, TypeError, ValueError):
                keep[k] = False
                bad.add(int(pos[k]))
        return np.frombuffer(b"".join(good), dtype=">u4").astype(np.uint32), pos[keep]

    @staticmethod
    def _parse6(
        texts: Sequence[str], pos: np.ndarray, bad: set[int]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray]]:
        empty = np.zeros(0, np.uint64)
        if not len(pos):
            return empty, empty, pos, (pos, empty.astype(np.uint32))
        af6 = socket.AF_INET6
        chosen = [texts[i] for i in pos.tolist()]
        try:
            packed = b"".join([_pton(af6, t) for t in chosen])
        except (OSError, TypeError, ValueError):
            good: list[bytes] = []
            keep = np.ones(len(pos), dtype=bool)
            for k, t in enumerate(chosen):
                try:
                    good.append(_pton(af6, t))
                except (OSError, TypeError, ValueError):
                    keep[k] = False
                    bad.add(int(pos[k]))
            packed = b"".join(good)
            pos = pos[keep]
        pairs = np.frombuffer(packed, dtype=">u8").reshape(-1, 2)
        hi = pairs[:, 0].astype(np.uint64)
        lo = pairs[:, 1].astype(np.uint64)
        is_mapped = (hi == 0) & ((lo >> np.uint64(32)) == np.uint64(0xFFFF))
        if is_mapped.any():
            mapped = (pos[is_mapped], (lo[is_mapped] & np.uint64(0xFFFFFFFF)).astype(np.uint32))
            return hi[~is_mapped], lo[~is_mapped], pos[~is_mapped], mapped
        return hi, lo, pos, (pos[:0], empty.astype(np.uint32))

    # -- queries over many registrations -------------------------------------------------------
    def records(self, *, mask: int = FULL) -> Iterable[AnyRecord]:
        """Every registration in the index (base rows still current, then the overlay)."""
        live = np.flatnonzero((self._flags_np & mask) == 0)
        for r in live.tolist():
            yield RowRecord(self, r)
        private_ok = not mask & PRIVATE
        for rec in list(self.overlay.by_id.values()):
            if private_ok or not rec.individual:
                yield rec

    def holder_records(self, holders: Iterable[Holder], *, mask: int = FULL) -> list[AnyRecord]:
        """Every registration of these holders (reverse lookup)."""
        wanted = set(holders)
        ix = [i for i, h in enumerate(self.cols.holders) if h in wanted]
        rows = np.flatnonzero(
            np.isin(self.cols.holder, np.array(ix, dtype=np.int32)) & ((self._flags_np & mask) == 0)
        )
        out: list[AnyRecord] = [RowRecord(self, r) for r in rows.tolist()]
        private_ok = not mask & PRIVATE
        out += [
            r
            for r in list(self.overlay.by_id.values())
            if r.holder in wanted and (private_ok or not r.individual)
        ]
        return out


def compress_strings(texts: Sequence[str], keep: Iterable[bool]) -> list[str]:
    return list(compress(texts, keep))
