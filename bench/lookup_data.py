"""Benchmark data for the lookup benchmarks: mixed IPv4/IPv6 prefixes (nested and adjacent) drawn
from Pakistan's real blocks in ../shared/data, index columns for them, query addresses as strings,
and the isolated measurements (each run as `python -m bench.lookup_data KIND N` in a process of
its own, so that resident memory and peak memory are honest)."""

from __future__ import annotations

import gc
import ipaddress
import json
import resource
import socket
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
M64 = np.uint64((1 << 64) - 1)


def blocks(version: int) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    path = DATA / f"pk-ipv{version}.cidr"
    if not path.exists():
        raise SystemExit(
            f"benchmark data missing: {path} (Pakistan's IP blocks, expected beside the repository "
            "in ../shared/data/pk-ipv4.cidr and pk-ipv6.cidr)"
        )
    return [
        ipaddress.ip_network(line.strip()) for line in path.read_text().splitlines() if line.strip()
    ]


def _hostmask(bits: np.ndarray) -> np.ndarray:
    b = bits.astype(np.uint64)
    return np.where(b >= 64, M64, (np.uint64(1) << np.minimum(b, np.uint64(63))) - np.uint64(1))


def _draw(
    rng: np.random.Generator, version: int, m: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    nets = blocks(version)
    width = 32 if version == 4 else 64  # IPv6 prefixes here are at most /64 (plus some /128s)
    top = [int(n.network_address) >> (0 if version == 4 else 64) for n in nets]
    blen = np.array([n.prefixlen for n in nets], dtype=np.int64)
    weight = np.array([2.0 ** (32 - n.prefixlen) if version == 4 else 1.0 for n in nets])
    pick = rng.choice(len(nets), size=m, p=weight / weight.sum())
    low = np.maximum(blen[pick], 16 if version == 4 else 32)
    length = low + (rng.random(m) ** 0.5 * (width + 1 - low)).astype(
        np.int64
    )  # towards the longest
    length = np.minimum(length, width)
    base = np.array(top, dtype=np.uint64)[pick]
    r = rng.integers(0, 1 << 63, size=m, dtype=np.uint64) << np.uint64(1)
    r |= rng.integers(0, 2, size=m, dtype=np.uint64)
    full = M64 if width == 64 else np.uint64((1 << 32) - 1)
    net = (base | (r & _hostmask(width - blen[pick]))) & ~_hostmask(width - length) & full
    return net, length, blen[pick]


def prefixes(n: int, seed: int = 1) -> dict[str, np.ndarray]:
    """n unique prefixes: version, hi, lo, plen (IPv4 in lo)."""
    rng = np.random.default_rng(seed)
    parts = []
    # Three in four IPv4, up to 3 million: Pakistan's IPv4 blocks hold 5.4 million addresses,
    # so more would be most of every possible prefix in them; the rest are IPv6.
    n4 = min(int(n * 0.75), 3_000_000)
    for version in (4, 6):
        want = n4 if version == 4 else n - n4
        width = 32 if version == 4 else 64
        pool = np.zeros((2, 0), np.uint64)
        for _ in range(40):  # draw until enough distinct prefixes (dense blocks repeat)
            net, length, blen = _draw(rng, version, int(want * 1.2) + 100)
            # Adjacent: a third also get their sibling.
            sib = (rng.random(len(net)) < 0.33) & (length > blen)
            net2 = net[sib] ^ (np.uint64(1) << (np.uint64(width) - length[sib].astype(np.uint64)))
            net = np.concatenate([net, net2])
            length = np.concatenate([length, length[sib]])
            both = np.concatenate([pool, np.stack([net, length.astype(np.uint64)])], axis=1)
            pairs = np.ascontiguousarray(both.T)
            _, first = np.unique(pairs.view("V16").ravel(), return_index=True)
            pool = both[:, np.sort(first)]
            if pool.shape[1] >= want:
                break
        uniq = pool
        idx = rng.permutation(uniq.shape[1])[:want]
        net, length = uniq[0][idx], uniq[1][idx].astype(np.uint8)
        if version == 4:
            parts.append((np.full(want, 4, np.uint8), np.zeros(want, np.uint64), net, length))
        else:
            lo = np.zeros(want, np.uint64)
            gw = rng.random(want) < 0.01  # some gateways registered as single addresses
            lo[gw] = rng.integers(1, 1 << 62, size=int(gw.sum()), dtype=np.uint64)
            length = np.where(gw, np.uint8(128), length).astype(np.uint8)
            parts.append((np.full(want, 6, np.uint8), net, lo, length))
    v, hi, lo, plen = (np.concatenate(x) for x in zip(*parts, strict=True))
    order = rng.permutation(len(v))
    return {"version": v[order], "hi": hi[order], "lo": lo[order], "plen": plen[order]}


def columns(p: dict[str, np.ndarray], seed: int = 2) -> Any:
    from cvas.lookup.index import Columns, Holder

    n = len(p["version"])
    rng = np.random.default_rng(seed)
    holders = [Holder("individual", "", None)] + [
        Holder("organisation", f"Holder {i} Pvt Ltd", None) for i in range(1, 2001)
    ]
    holder = rng.integers(1, 2001, size=n, dtype=np.int32)
    holder[rng.random(n) < 0.1] = 0
    handles = np.char.add(b"EP-", np.char.zfill(np.arange(1, n + 1).astype("S14"), 14))
    return Columns(
        ids=np.arange(1, n + 1, dtype=np.int64),
        version=p["version"],
        plen=p["plen"],
        hi=p["hi"],
        lo=p["lo"],
        holder=holder,
        licence=rng.integers(1, 21, size=n, dtype=np.int32),
        since=np.full(n, 1_760_000_000, dtype=np.int64) + rng.integers(0, 10**7, size=n),
        handles=handles,
        holders=holders,
    )


def texts(p: dict[str, np.ndarray], i: np.ndarray | range) -> list[str]:
    """Prefixes as CIDR strings."""
    out = []
    ntop, af6 = socket.inet_ntop, socket.AF_INET6
    for k in i:
        v, plen = int(p["version"][k]), int(p["plen"][k])
        if v == 4:
            out.append(f"{socket.inet_ntoa(int(p['lo'][k]).to_bytes(4, 'big'))}/{plen}")
        else:
            out.append(
                f"{ntop(af6, (int(p['hi'][k]) << 64 | int(p['lo'][k])).to_bytes(16, 'big'))}/{plen}"
            )
    return out


def queries(p: dict[str, np.ndarray], m: int, seed: int = 3) -> list[str]:
    """m addresses as strings: nine in ten inside a registered prefix, the rest anywhere in a
    Pakistani block (registered or not)."""
    rng = np.random.default_rng(seed)
    k = rng.integers(0, len(p["version"]), size=m)
    out = []
    for i, j in enumerate(k.tolist()):
        v, plen = int(p["version"][j]), int(p["plen"][j])
        w = 32 if v == 4 else 128
        net = int(p["lo"][j]) if v == 4 else int(p["hi"][j]) << 64 | int(p["lo"][j])
        spread = w - plen if i % 10 else min(w - plen + 8, w - 8)
        addr = (
            (net & ~((1 << spread) - 1)) | int(rng.integers(0, 1 << min(spread, 62)))
            if spread
            else net
        )
        out.append(
            socket.inet_ntoa(addr.to_bytes(4, "big"))
            if v == 4
            else socket.inet_ntop(socket.AF_INET6, addr.to_bytes(16, "big"))
        )
    return out


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def reset_peak() -> None:
    """Start the peak-memory count afresh (Linux: VmHWM back to the current resident size), so
    that the data generation's own peak is not counted."""
    gc.collect()
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def peak_mb() -> float:
    """Peak resident memory of this process image (VmHWM: unlike ru_maxrss, not inherited from
    the process that forked it)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- isolated measurements ---------------------------------------------------------------------------


def measure(kind: str, n: int) -> dict[str, float]:
    p = prefixes(n)
    if kind == "ours-index":
        cols = columns(p)
        del p
        gc.collect()
        arrays = (
            cols.ids,
            cols.version,
            cols.plen,
            cols.hi,
            cols.lo,
            cols.holder,
            cols.licence,
            cols.since,
            cols.handles,
        )
        base = rss_mb() - sum(a.nbytes for a in arrays) / 2**20
        from cvas.lookup.index import PrefixIndex

        t = time.perf_counter()
        index = PrefixIndex(cols)
        seconds = time.perf_counter() - t
        gc.collect()
        return {"seconds": seconds, "mb": rss_mb() - base, "nbytes": index.nbytes, "n": n}
    if kind == "pytricia":
        import pytricia

        gc.collect()
        base = rss_mb()
        t4, t6 = pytricia.PyTricia(32), pytricia.PyTricia(128)
        seconds = 0.0
        step = 200_000
        for start in range(0, n, step):
            chunk = texts(p, range(start, min(n, start + step)))
            t = time.perf_counter()
            for i, s in enumerate(chunk, start + 1):
                (t6 if ":" in s else t4)[s] = i
            seconds += time.perf_counter() - t
            del chunk
        t4.freeze()
        t6.freeze()
        del p
        gc.collect()
        return {"seconds": seconds, "mb": rss_mb() - base, "n": n}
    if kind == "ours-mmdb":
        import os
        import tempfile

        import django

        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cvas.config.settings")
        django.setup()

        from cvas.lookup import exports

        cols = columns(p)
        del p
        gc.collect()
        reset_peak()
        src = exports.Source(
            cols=cols,
            licences=_licences(),
            cursor="0-0",
            generated_at=__import__("datetime").datetime.now(),
        )
        with tempfile.TemporaryDirectory() as d:
            t = time.perf_counter()
            exports.write_mmdb(f"{d}/x.mmdb", src)
            seconds = time.perf_counter() - t
            size = Path(f"{d}/x.mmdb").stat().st_size
            answer = _check_mmdb(f"{d}/x.mmdb")
        return {"seconds": seconds, "peak_mb": peak_mb(), "bytes": size, "check": answer, "n": n}
    if kind == "mmdb-writer":
        import tempfile

        from mmdb_writer import MMDBWriter
        from netaddr import IPSet

        cols = columns(p)
        strings = texts(p, range(n))
        order = np.argsort(p["plen"], kind="stable")  # supernets first, as it requires
        del p
        reset_peak()
        t = time.perf_counter()
        w = MMDBWriter(ip_version=6, ipv4_compatible=True, database_type="CVAS-Registry-Endpoints")
        for i in order.tolist():
            w.insert_network(
                IPSet([strings[i]]), {"handle": cols.handles[i].decode(), "prefix": strings[i]}
            )
        with tempfile.TemporaryDirectory() as d:
            w.to_db_file(f"{d}/x.mmdb")
            seconds = time.perf_counter() - t
            size = Path(f"{d}/x.mmdb").stat().st_size
        return {"seconds": seconds, "peak_mb": peak_mb(), "bytes": size, "n": n}
    raise SystemExit(f"unknown measurement {kind}")


def _licences() -> dict[int, Any]:
    from cvas.lookup.runtime import LicenceInfo

    return {
        i: LicenceInfo(i, f"CVAS-DATA/2026/{i:04d}", i, f"Licensee {i} Pvt Ltd", "active")
        for i in range(1, 21)
    }


def _check_mmdb(path: str) -> bool:
    import maxminddb

    with maxminddb.open_database(path) as r:
        return r.metadata().node_count > 0


if __name__ == "__main__":
    print(json.dumps(measure(sys.argv[1], int(sys.argv[2]))))
