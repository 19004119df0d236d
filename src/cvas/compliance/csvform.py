"""The CSV form of one return: what a licensee can send instead of the form or JSON, and what it
gets back when it downloads a filed return (the two are the same format, so a download can be
edited and sent again as an amendment).

UTF-8 (with or without a byte-order mark), LF or CRLF, a header row, then one record per row:

    record,key,value,date,description,resolved
    period,start,2026-07-01,,,
    period,end,2026-09-30,,,
    subscribers,bank,12,,,
    subscribers,it_company,140,,,
    subscriptions,new,30,,,
    subscriptions,ended,4,,,
    traffic,domestic_bytes,1200000000000,,,
    traffic,international_bytes,800000000000,,,
    gateway,location,Karachi (KHI-1),,,
    incident,denial_of_service,,2026-08-02,Volumetric attack on the Karachi gateway,yes

`subscribers` has one row per category (it_company, bank, foreign_mission, software_house,
freelancer, individual, other_business); `gateway` and `incident` rows repeat as needed.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from cvas.compliance.models import Return, ReturnVersion
from cvas.core.errors import InvalidInput

HEADER = ["record", "key", "value", "date", "description", "resolved"]
MAX_BYTES = 1024 * 1024
MAX_ROWS = 5000
SINGLE = {
    ("period", "start"): "period_start",
    ("period", "end"): "period_end",
    ("subscriptions", "new"): "new_subscriptions",
    ("subscriptions", "ended"): "ended_subscriptions",
    ("traffic", "domestic_bytes"): "traffic_domestic_bytes",
    ("traffic", "international_bytes"): "traffic_international_bytes",
}


@dataclass
class ParsedReturn:
    period_start: dt.date | None
    period_end: dt.date | None
    figures: dict[str, Any]
    lines: dict[str, int] = field(default_factory=dict)


def _refused(text: str) -> str:
    # Translators: %(problems)s is a list of the file's problems, separated by semicolons.
    return _("The CSV file was refused: %(problems)s") % {"problems": text}


def _fail(problems: list[dict[str, Any]]) -> InvalidInput:
    text = "; ".join(
        _("line %(line)s, column %(column)s: %(reason)s")
        % {"line": p["line"], "column": p["column"], "reason": p["reason"]}
        if "line" in p
        else p["reason"]
        for p in problems[:10]
    )
    if len(problems) > 10:
        # Translators: %(problems)s is a list of problems; %(count)s how many more there are.
        text = _("%(problems)s; and %(count)s more") % {
            "problems": text,
            "count": len(problems) - 10,
        }
    return InvalidInput(_refused(text), details=problems)


def parse(content: bytes) -> ParsedReturn:
    """Read a return's CSV; every problem is reported with its line and column, and nothing is filed."""
    if len(content) > MAX_BYTES:
        raise _fail(
            [
                {
                    "field": "file",
                    "reason": _("larger than %(size)s KiB") % {"size": MAX_BYTES // 1024},
                }
            ]
        )
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _fail(
            [
                {
                    "field": "file",
                    "reason": _("not UTF-8 text (byte %(byte)s is not valid UTF-8)")
                    % {"byte": exc.start},
                }
            ]
        ) from None
    rows = list(csv.reader(io.StringIO(text, newline="")))
    problems: list[dict[str, Any]] = []
    if not rows or [c.strip().lower() for c in rows[0][: len(HEADER)]] != HEADER:
        raise _fail(
            [
                {
                    "line": 1,
                    "column": "header",
                    "field": "file",
                    "reason": _("the first row must be the header %(header)s")
                    % {"header": ",".join(HEADER)},
                }
            ]
        )
    if len(rows) > MAX_ROWS:
        raise _fail(
            [{"field": "file", "reason": _("more than %(count)s rows") % {"count": MAX_ROWS}}]
        )
    parsed = ParsedReturn(period_start=None, period_end=None, figures={"subscribers": {}})
    figures = parsed.figures
    gateways: list[str] = []
    incidents: list[dict[str, Any]] = []
    seen: dict[tuple[str, str], int] = {}
    for number, raw in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in raw):
            continue
        cells = [c.strip() for c in raw] + [""] * (len(HEADER) - len(raw))
        if len(raw) > len(HEADER) and any(c.strip() for c in raw[len(HEADER) :]):
            problems.append(
                {
                    "line": number,
                    "column": "record",
                    "reason": _("more than %(count)s columns") % {"count": len(HEADER)},
                }
            )
            continue
        record, key, value, date, description, resolved = cells[: len(HEADER)]
        record = record.lower()

        def problem(column: str, reason: str, *, line: int = number) -> None:
            problems.append({"line": line, "column": column, "reason": reason})

        if record in ("period", "subscriptions", "traffic", "subscribers"):
            if (record, key) in seen:
                problem(
                    "key",
                    # Translators: %(record)s,%(key)s are the first two cells of a row of the file.
                    _("%(record)s,%(key)s is given twice (first on line %(line)s)")
                    % {"record": record, "key": key, "line": seen[(record, key)]},
                )
                continue
            seen[(record, key)] = number
        if (record, key) in SINGLE:
            name = SINGLE[(record, key)]
            parsed.lines[name] = number
            if record == "period":
                try:
                    setattr(parsed, name, dt.date.fromisoformat(value))
                except ValueError:
                    problem(
                        "value",
                        _("%(value)s is not a date (YYYY-MM-DD)") % {"value": repr(value)},
                    )
            else:
                figures[name] = value
        elif record == "subscribers":
            figures["subscribers"][key] = value
            parsed.lines[f"subscribers.{key}"] = number
        elif record == "gateway":
            if key != "location":
                problem("key", _("a gateway row's key is 'location'"))
            elif not value:
                problem("value", _("the gateway's location is empty"))
            else:
                parsed.lines[f"gateway_locations[{len(gateways)}]"] = number
                gateways.append(_unsafe(value))
        elif record == "incident":
            index = len(incidents)
            for name in ("date", "kind", "description", "resolved"):
                parsed.lines[f"incidents[{index}].{name}"] = number
            parsed.lines[f"incidents[{index}]"] = number
            incidents.append(
                {
                    "date": date,
                    "kind": key,
                    "description": _unsafe(description),
                    "resolved": resolved,
                }
            )
        elif record in ("period", "subscriptions", "traffic"):
            known = ", ".join(k for r, k in SINGLE if r == record)
            problem(
                "key",
                # Translators: %(record)s is a record type of the file (period, traffic...).
                _("unknown %(record)s key %(key)s; one of %(allowed)s")
                % {"record": record, "key": repr(key), "allowed": known},
            )
        else:
            problem(
                "record",
                # Translators: keep the record types (period, subscribers...) as they are.
                _(
                    "unknown record %(record)s; one of period, subscribers, subscriptions, "
                    "traffic, gateway, incident"
                )
                % {"record": repr(record)},
            )
    if parsed.period_start is None and "period_start" not in parsed.lines:
        problems.append({"field": "period_start", "reason": _("no 'period,start' row")})
    if parsed.period_end is None and "period_end" not in parsed.lines:
        problems.append({"field": "period_end", "reason": _("no 'period,end' row")})
    if problems:
        raise _fail(problems)
    figures["gateway_locations"] = gateways
    figures["incidents"] = incidents
    return parsed


COLUMN_OF_FIELD = {"incidents": "date", "gateway_locations": "value"}


def locate(exc: InvalidInput, parsed: ParsedReturn) -> InvalidInput:
    """The same validation error, with each field's line and column in the CSV file."""
    details = []
    for d in exc.details:
        name = str(d.get("field", ""))
        line = parsed.lines.get(name)
        if line is None:
            details.append(d)
            continue
        column = "value"
        if name.startswith("incidents["):
            suffix = name.rsplit(".", 1)[-1] if "." in name else "date"
            column = {"kind": "key"}.get(suffix, suffix)
        details.append({**d, "line": line, "column": column})
    text = "; ".join(
        # Translators: %(field)s is the name of a field of a return, e.g. subscribers.bank.
        _("line %(line)s, column %(column)s (%(field)s): %(reason)s")
        % {"line": d["line"], "column": d["column"], "field": d["field"], "reason": d["reason"]}
        if "line" in d
        else f"{d['field']}: {d['reason']}"
        for d in details[:10]
    )
    return InvalidInput(_refused(text), details=details)


def render(ret: Return, version: ReturnVersion) -> str:
    """One version of a return in its CSV form."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerow(["period", "start", ret.period_start.isoformat(), "", "", ""])
    writer.writerow(["period", "end", ret.period_end.isoformat(), "", "", ""])
    for category, n in sorted(version.subscribers.items()):
        writer.writerow(["subscribers", category, n, "", "", ""])
    writer.writerow(["subscriptions", "new", version.new_subscriptions, "", "", ""])
    writer.writerow(["subscriptions", "ended", version.ended_subscriptions, "", "", ""])
    writer.writerow(["traffic", "domestic_bytes", version.traffic_domestic_bytes, "", "", ""])
    writer.writerow(
        ["traffic", "international_bytes", version.traffic_international_bytes, "", "", ""]
    )
    for place in version.gateway_locations:
        writer.writerow(["gateway", "location", _safe(place), "", "", ""])
    for incident in version.incidents:
        writer.writerow(
            [
                "incident",
                incident["kind"],
                "",
                incident["date"],
                _safe(incident["description"]),
                "yes" if incident["resolved"] else "no",
            ]
        )
    return out.getvalue()


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _unsafe(text: str) -> str:
    """Undo `_safe`, so that a downloaded return sent back keeps its text."""
    return text[1:] if text[:1] == "'" and text[1:2] in FORMULA_START else text


def _safe(text: str) -> str:
    """Text that a spreadsheet will not run as a formula."""
    return "'" + text if text[:1] in FORMULA_START else text
