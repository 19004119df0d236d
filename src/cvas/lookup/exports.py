"""Full exports of the active prefixes, in four formats, from one read of the registry.

Every export names the change-feed cursor it is current to: the feed's head is read *before* the
registrations, so each change up to the cursor is in the file, and a change after it that the
file happens to hold too is handed out again by the feed (applying it twice is harmless). No
personal data: an individual's registration appears as held by "individual", without a name.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Any

import numpy as np

from cvas.lookup import cidr, feed, loader, mmdb
from cvas.lookup.choices import ExportFormat
from cvas.lookup.index import Columns
from cvas.lookup.netkeys import format_prefix
from cvas.lookup.runtime import LicenceInfo, _licences

CSV_HEADER = [
    "prefix",
    "ip_version",
    "handle",
    "holder_type",
    "holder",
    "licence",
    "licence_holder",
    "licence_status",
    "registered_since",
]
EXTENSIONS = {
    ExportFormat.CSV: "csv",
    ExportFormat.JSON: "json",
    ExportFormat.CIDR: "txt",
    ExportFormat.MMDB: "mmdb",
}
MMDB_TYPE = "CVAS-Registry-Endpoints"


@dataclass
class Source:
    """What one export run reads: the registrations and licences, and the cursor."""

    cols: Columns
    licences: dict[int, LicenceInfo]
    cursor: str
    generated_at: dt.datetime

    @classmethod
    def read(cls) -> Source:
        cursor = str(feed.head())
        return cls(
            cols=loader.load_columns(),
            licences=_licences(),
            cursor=cursor,
            generated_at=dt.datetime.now(tz=dt.UTC),
        )

    def order(self) -> np.ndarray:
        c = self.cols
        return np.lexsort((c.ids, c.plen, c.lo, c.hi, c.version))

    def rows(self) -> Iterator[dict[str, Any]]:
        """Each registration as the feed and lookups answer for a network operator, in address
        order."""
        row = self.row_maker()
        for r in self.order().tolist():
            yield row(r)

    def row_maker(self) -> Callable[[int], dict[str, Any]]:
        """row(r): registration r of the columns, as a dict (strings shared through caches)."""
        c = self.cols
        since_text: dict[int, str] = {}
        lic_cache: dict[int, dict[str, Any] | None] = {}
        versions, his, los = c.version, c.hi, c.lo
        plens, holders, lics, sinces = c.plen, c.holder, c.licence, c.since

        def row(r: int) -> dict[str, Any]:
            v = int(versions[r])
            network = (int(his[r]) << 64 | int(los[r])) if v == 6 else int(los[r])
            holder = c.holders[int(holders[r])]
            lic = int(lics[r])
            if lic not in lic_cache:
                info = self.licences.get(lic)
                lic_cache[lic] = (
                    {"number": info.number, "holder": info.holder, "status": info.status}
                    if info is not None
                    else None
                )
            since = int(sinces[r])
            text = since_text.get(since)
            if text is None:
                text = since_text[since] = (
                    dt.datetime.fromtimestamp(since, tz=dt.UTC).isoformat().replace("+00:00", "Z")
                )
            return {
                "registered": True,
                "prefix": format_prefix(v, network, int(plens[r])),
                "ip_version": v,
                "handle": c.handles[r].decode(),
                "holder_type": holder.holder_type,
                "holder": holder.name if holder.holder_type == "organisation" else None,
                "licence": lic_cache[lic],
                "registered_since": text,
            }

        return row


def write_csv(out: IO[str], src: Source) -> int:
    w = csv.writer(out, lineterminator="\n")
    w.writerow(CSV_HEADER)
    n = 0
    for row in src.rows():
        lic = row["licence"] or {}
        w.writerow(
            [
                row["prefix"],
                row["ip_version"],
                row["handle"],
                row["holder_type"],
                row["holder"] or "",
                lic.get("number") or "",
                lic.get("holder") or "",
                lic.get("status") or "",
                row["registered_since"],
            ]
        )
        n += 1
    return n


def write_json(out: IO[str], src: Source) -> int:
    """One object: the cursor and time it is current to, then the registrations (streamed)."""
    head = {
        "format": "cvas-endpoints/1",
        "generated_at": src.generated_at.isoformat().replace("+00:00", "Z"),
        "cursor": src.cursor,
        "count": len(src.cols),
    }
    out.write(json.dumps(head)[:-1] + ', "registrations": [')
    n = 0
    for row in src.rows():
        out.write(("\n" if n == 0 else ",\n") + json.dumps(row, ensure_ascii=False))
        n += 1
    out.write("\n]}\n")
    return n


def cidr_blocks(cols: Columns) -> list[tuple[int, tuple[np.ndarray, ...]]]:
    out = []
    for version in (4, 6):
        sel = cols.version == version
        out.append(
            (version, cidr.aggregate_family(version, cols.hi[sel], cols.lo[sel], cols.plen[sel]))
        )
    return out


def write_cidr(out: IO[str], src: Source) -> int:
    """The registered address space, aggregated: IPv4 lines, then IPv6."""
    n = 0
    for version, (hi, lo, plen) in cidr_blocks(src.cols):
        for line in cidr.lines(version, hi, lo, plen):
            out.write(line + "\n")
            n += 1
    return n


def write_mmdb(path: str, src: Source) -> int:
    """A MaxMind DB: each address answers with its most specific registration."""
    c = src.cols
    v4 = np.flatnonzero(c.version == 4)
    v6 = np.flatnonzero(c.version == 6)
    seq = np.concatenate([v4, v6])
    row = src.row_maker()
    enc_str, ctrl = mmdb.enc_str, mmdb._ctrl

    def encode(i: int, w: mmdb.DataWriter) -> int:
        d = row(int(seq[i]))
        parts = [
            w.shared("handle"),
            enc_str(d["handle"]),
            w.shared("prefix"),
            enc_str(d["prefix"]),
            w.shared("holder_type"),
            w.shared(d["holder_type"]),
            w.shared("registered_since"),
            w.shared(d["registered_since"]),
        ]
        pairs = 4
        if d["holder"]:
            parts += [w.shared("holder"), w.shared(d["holder"])]
            pairs += 1
        lic = d["licence"]
        if lic:
            parts += [w.shared("licence_holder"), w.shared(lic["holder"])]
            pairs += 1
            if lic["number"]:
                parts += [w.shared("licence"), w.shared(lic["number"])]
                pairs += 1
        return w.write(ctrl(7, pairs) + b"".join(parts))

    mmdb.write_file(
        path,
        families={
            4: (c.hi[v4], c.lo[v4], c.plen[v4]),
            6: (c.hi[v6], c.lo[v6], c.plen[v6]),
        },
        record_count=len(seq),
        encode_record=encode,
        database_type=MMDB_TYPE,
        description="CVAS Registry: registered IP prefixes and their holders (no personal data)",
    )
    return len(seq)


def write(fmt: str, path: str, src: Source) -> int:
    """Write one export to `path` (via a temporary file beside it); returns the count."""
    tmp = f"{path}.part"
    if fmt == ExportFormat.MMDB:
        return write_mmdb(path, src)
    writer = {
        ExportFormat.CSV: write_csv,
        ExportFormat.JSON: write_json,
        ExportFormat.CIDR: write_cidr,
    }[ExportFormat(fmt)]
    with open(tmp, "w", encoding="utf-8", newline="") as out:
        count = writer(out, src)
    os.replace(tmp, path)
    return count


def sha256_of(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
