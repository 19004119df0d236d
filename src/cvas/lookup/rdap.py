"""RDAP (RFC 9082 queries, RFC 9083 responses) for the registered prefixes and their holders, so
that existing RDAP clients read the registry: `/rdap/ip/{address or prefix}`,
`/rdap/entity/{handle}`, `/rdap/help`.

RDAP is public and anonymous: it answers as the public lookup does, so an individual's
registration is never disclosed (neither its prefix nor its holder); an address inside one is
answered with the enclosing organisation's registration, or 404. Entities are organisations
(handle `ORG-<id>`) that hold a registered prefix or a licence.
"""

from __future__ import annotations

import re
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_http_methods

from cvas.core.errors import DomainError
from cvas.core.rate_limit import rate_limited
from cvas.lookup import netkeys, selectors
from cvas.lookup.runtime import RUNTIME

MEDIA_TYPE = "application/rdap+json"
CONFORMANCE = ["rdap_level_0", "cidr0"]
ENTITY = re.compile(r"^ORG-(\d{1,12})$", re.IGNORECASE)
NOTICES = [
    {
        "title": "Terms of use",
        "description": [
            "The CVAS Registry: IP prefixes registered by licensed VPN service providers (their "
            "gateways) and by organisations, under the CVAS-Data class licence regime.",
            "Registrations held by individuals are never disclosed here.",
        ],
    }
]


class RdapResponse(JsonResponse):
    def __init__(self, data: dict[str, Any], status: int = 200) -> None:
        super().__init__(
            {"rdapConformance": CONFORMANCE, **data},
            status=status,
            content_type=MEDIA_TYPE,
            json_dumps_params={"ensure_ascii": False},
        )
        self["Access-Control-Allow-Origin"] = "*"


def error(status: int, title: str, description: str) -> RdapResponse:
    """An error in RFC 9083's own form (section 6)."""
    return RdapResponse(
        {"errorCode": status, "title": title, "description": [description], "notices": NOTICES},
        status=status,
    )


def _base(request: HttpRequest) -> str:
    return request.build_absolute_uri("/rdap/")


def _link(request: HttpRequest, path: str, rel: str) -> dict[str, str]:
    return {
        "value": request.build_absolute_uri(),
        "rel": rel,
        "href": _base(request) + path,
        "type": MEDIA_TYPE,
    }


def _date(value: Any) -> str:
    return value.isoformat().replace("+00:00", "Z")


def _vcard(name: str) -> list[Any]:
    return [
        "vcard",
        [["version", {}, "text", "4.0"], ["fn", {}, "text", name], ["kind", {}, "text", "org"]],
    ]


def _org_entity(
    request: HttpRequest, org_id: int | None, name: str, roles: list[str]
) -> dict[str, Any]:
    ent: dict[str, Any] = {"objectClassName": "entity", "roles": roles, "vcardArray": _vcard(name)}
    if org_id is not None:
        ent["handle"] = f"ORG-{org_id}"
        ent["links"] = [_link(request, f"entity/ORG-{org_id}", "related")]
    return ent


def network(request: HttpRequest, reg: Any, *, summary: bool = False) -> dict[str, Any]:
    """An `ip network` object for an organisation's active registration."""
    version = reg.ip_version
    start = int.from_bytes(bytes(reg.range_start), "big")
    end = int.from_bytes(bytes(reg.range_end), "big")
    first = netkeys.format_address(version, start)
    out: dict[str, Any] = {
        "objectClassName": "ip network",
        "handle": reg.handle,
        "startAddress": first,
        "endAddress": netkeys.format_address(version, end),
        "ipVersion": f"v{version}",
        "name": reg.handle,
        "type": "LICENSEE GATEWAY" if _is_gateway(reg) else "ASSIGNED",
        "country": "PK",
        "status": ["active"],
        "cidr0_cidrs": [{f"v{version}prefix": first, "length": reg.prefix_len}],
        "links": [_link(request, f"ip/{reg.network}", "self")],
    }
    if summary:
        return out
    parent = reg.delegated_from
    if parent is not None and parent.holder_type == "organisation" and parent.status == "active":
        out["parentHandle"] = parent.handle
        out["links"].append(_link(request, f"ip/{parent.network}", "up"))
    roles = ["registrant"]
    entities = [_org_entity(request, reg.holder_organisation_id, reg.holder_name, roles)]
    if reg.licence is not None:
        lic = reg.licence
        sponsor = _org_entity(request, lic.holder_id, lic.holder.name, ["sponsor"])
        sponsor["remarks"] = [
            {
                "title": "Licence",
                "description": [
                    f"CVAS-Data class licence {lic.number or '(number not published)'}, {lic.status}"
                ],
            }
        ]
        entities.append(sponsor)
    out["entities"] = entities
    out["events"] = [
        {"eventAction": "registration", "eventDate": _date(reg.created_at)},
        {"eventAction": "last changed", "eventDate": _date(reg.updated_at)},
    ]
    out["notices"] = NOTICES
    return out


def _is_gateway(reg: Any) -> bool:
    lic = reg.licence
    return (
        lic is not None
        and reg.holder_type == "organisation"
        and (
            reg.holder_organisation_id == lic.holder_id
            or reg.holder_name.casefold() == lic.holder.name.casefold()
        )
    )


def _registration(reg_id: int) -> Any:
    from cvas.registry.models import EndpointRegistration

    return (
        EndpointRegistration.objects.select_related("licence__holder", "delegated_from")
        .filter(pk=reg_id, status="active", holder_type="organisation")
        .first()
    )


@rate_limited("rdap")
@require_http_methods(["GET", "HEAD"])
def ip(request: HttpRequest, query: str) -> HttpResponse:
    """The most specific (public) registration containing the address, or the whole prefix."""
    try:
        version, start, length = netkeys.parse_prefix(query, field="ip")
    except DomainError as exc:
        return error(400, "Bad request", exc.message)
    snap = RUNTIME.snapshot()
    rec = selectors.find(selectors.PUBLIC_VIEW, snap, version, start, maxlen=length)
    reg = _registration(rec.registration_id) if rec is not None else None
    if reg is None:
        return error(404, "Not found", f"{query} is not in a registered prefix.")
    return RdapResponse(network(request, reg))


@rate_limited("rdap")
@require_http_methods(["GET", "HEAD"])
def entity(request: HttpRequest, handle: str) -> HttpResponse:
    from cvas.accounts.models import Organisation
    from cvas.licensing.models import Licence
    from cvas.registry.models import EndpointRegistration

    m = ENTITY.match(handle.strip())
    org = Organisation.objects.filter(pk=int(m.group(1))).first() if m else None
    if org is None:
        return error(404, "Not found", f"No entity {handle}.")
    nets = EndpointRegistration.objects.filter(
        holder_organisation=org, holder_type="organisation", status="active", kind="prefix"
    ).order_by("ip_version", "range_start", "prefix_len")
    licences = list(Licence.objects.filter(holder=org).order_by("issued_on"))
    if not licences and not nets.exists():
        return error(404, "Not found", f"No entity {handle}.")
    roles = (["registrant"] if nets.exists() else []) + (["sponsor"] if licences else [])
    out: dict[str, Any] = {
        "objectClassName": "entity",
        "handle": f"ORG-{org.pk}",
        "roles": roles,
        "vcardArray": _vcard(org.name),
        "links": [_link(request, f"entity/ORG-{org.pk}", "self")],
        "networks": [
            network(request, r, summary=True) for r in nets.select_related("licence")[:100]
        ],
        "notices": NOTICES,
    }
    if licences:
        out["remarks"] = [
            {
                "title": "Licences",
                "description": [
                    f"CVAS-Data class licence {lic.number or '(number not published)'}, {lic.status}"
                    for lic in licences
                ],
            }
        ]
    return RdapResponse(out)


@rate_limited("rdap")
@require_http_methods(["GET", "HEAD"])
def help_(request: HttpRequest) -> HttpResponse:
    return RdapResponse(
        {
            "notices": [
                *NOTICES,
                {
                    "title": "Queries",
                    "description": [
                        "ip/{address} or ip/{prefix}: the most specific registered prefix containing it.",
                        "entity/ORG-{id}: an organisation holding registered prefixes or a licence.",
                    ],
                    "links": [_link(request, "help", "self")],
                },
            ]
        }
    )


@rate_limited("rdap")
@require_http_methods(["GET", "HEAD"])
def unsupported(request: HttpRequest, rest: str) -> HttpResponse:
    kind = rest.split("/", 1)[0]
    if kind in ("domain", "nameserver", "autnum", "domains", "nameservers", "entities", "ips"):
        return error(
            501, "Not implemented", f"This server answers ip, entity and help queries, not {kind}."
        )
    return error(404, "Not found", "No such RDAP query.")
