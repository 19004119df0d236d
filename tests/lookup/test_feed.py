"""The change log and feed: every change is caught (services and set-based imports), pages resume,
an expired cursor gets 410, a late-committing transaction is never skipped, and a full export plus
the feed rebuilds the registry exactly."""

from __future__ import annotations

import io
import json
import threading
import time
from typing import Any

import pytest
from django.db import connection, connections, transaction
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cvas.lookup import exports, services
from cvas.lookup.models import RegistrationChange
from cvas.lookup.runtime import RUNTIME
from cvas.registry import services as registry
from cvas.registry.models import EndpointRegistration
from tests.conftest import SYSTEM, api_key_for, bearer, principal
from tests.lookup.conftest import end

API = "/api/v1"


def operator_headers(world: dict[str, Any]) -> dict[str, str]:
    _, token = api_key_for(world["operator"], world["isp"], ["lookup"])
    return bearer(token)


def all_changes(
    since: str, headers: dict[str, str], limit: int = 1000
) -> tuple[list[dict[str, Any]], str]:
    items: list[dict[str, Any]] = []
    while True:
        body = Client().get(f"{API}/changes", {"since": since, "limit": limit}, **headers).json()
        items += body["items"]
        since = body["next"]
        if not body["more"]:
            return items, since


@pytest.mark.django_db
def test_every_change_of_a_prefix_is_logged_by_the_database(
    licence: Any, register: Any, world: dict[str, Any]
) -> None:
    reg = register(licence, "gw", "39.32.0.0/24", "Provider A Pvt Ltd")
    register(licence, "gw", "39.32.0.0/25", "Provider A Pvt Ltd")  # changed
    end(world, EndpointRegistration.objects.get(pk=reg.pk))
    EndpointRegistration.objects.filter(pk=reg.pk).update(
        updated_at=timezone.now()
    )  # not an answer
    ops = list(
        RegistrationChange.objects.filter(registration_id=reg.pk).values_list("op", flat=True)
    )
    assert ops == ["I", "U", "U"]


@pytest.mark.django_db
def test_a_set_based_import_is_logged_row_by_row(licence: Any, world: dict[str, Any]) -> None:
    rows = "\n".join(f"r{i},39.32.{i}.0/24,organisation,Holder {i}" for i in range(50))
    run = registry.import_start(
        principal=principal(world["member_a"]), licence=licence, kind="endpoints", name="x.csv"
    )
    run = registry.import_execute(
        run=run, stream=io.BytesIO(f"ref,prefix,holder_type,holder_name\n{rows}\n".encode())
    )
    assert run.status == "succeeded", run.message
    assert RegistrationChange.objects.count() == 50
    items, _ = all_changes("0-0", operator_headers(world), limit=7)
    assert len(items) == 50 and {i["event"] for i in items} == {"created"}
    assert sorted(i["registration"]["prefix"] for i in items) == sorted(
        f"39.32.{i}.0/24" for i in range(50)
    )


@pytest.mark.django_db
def test_the_feed_pages_and_resumes_from_its_cursor(
    licence: Any, register: Any, world: dict[str, Any]
) -> None:
    headers = operator_headers(world)
    for i in range(5):
        register(licence, f"r{i}", f"39.32.{i}.0/24")
    first = Client().get(f"{API}/changes", {"since": "0-0", "limit": 2}, **headers).json()
    assert len(first["items"]) == 2 and first["more"]
    rest, head = all_changes(first["next"], headers)
    assert [i["handle"] for i in first["items"] + rest] == list(
        EndpointRegistration.objects.order_by("pk").values_list("handle", flat=True)
    )
    assert Client().get(f"{API}/changes", {"since": head}, **headers).json()["items"] == []
    reg = register(licence, "r9", "39.32.9.0/24")
    end(world, reg)
    later, _ = all_changes(head, headers)
    assert [(i["handle"], i["event"], i["registration"]) for i in later] == [
        (reg.handle, "ended", None),  # each item carries the state now
        (reg.handle, "ended", None),
    ]


@pytest.mark.django_db
def test_an_expired_cursor_gets_410_pointing_to_the_full_export(
    licence: Any, register: Any, world: dict[str, Any]
) -> None:
    for i in range(3):
        register(licence, f"r{i}", f"39.32.{i}.0/24")
    services.publish_exports(actor=SYSTEM, formats=["json"])
    pruned = services.prune_changes(older_than=timezone.now() + timezone.timedelta(days=1))
    assert pruned == 3
    r = Client().get(f"{API}/changes", {"since": "0-1"}, **operator_headers(world))
    assert r.status_code == 410
    error = r.json()["error"]
    assert error["code"] == "cursor_expired"
    assert error["details"][0]["full_export"] == "/api/v1/exports/json"
    assert (
        Client().get(f"{API}/changes", {"since": "nonsense"}, **operator_headers(world)).status_code
        == 422
    )


@pytest.mark.django_db
def test_the_feed_is_for_network_operators(
    licence: Any, world: dict[str, Any], client_for: Any
) -> None:
    assert Client().get(f"{API}/changes", {"since": "0-0"}).status_code == 401
    assert client_for(world["member_a"]).get(f"{API}/changes", {"since": "0-0"}).status_code == 403
    assert client_for(world["operator"]).get(f"{API}/changes", {"since": "0-0"}).status_code == 200


def _apply(copy: dict[str, dict[str, Any]], items: list[dict[str, Any]]) -> None:
    for item in items:
        if item["registration"] is None:
            copy.pop(item["handle"], None)
        else:
            copy[item["handle"]] = item["registration"]


def _registry_now() -> dict[str, dict[str, Any]]:
    src = exports.Source.read()
    return {row["handle"]: row for row in src.rows()}


OPS = st.lists(
    st.tuples(st.sampled_from(["add", "change", "end"]), st.integers(0, 15), st.integers(24, 28)),
    min_size=1,
    max_size=12,
)


@pytest.mark.django_db
@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(before=OPS, after=OPS)
def test_a_full_export_plus_the_feed_equals_the_registry(
    licence: Any, register: Any, world: dict[str, Any], before: list[Any], after: list[Any]
) -> None:
    def play(ops: list[Any]) -> None:
        for op, n, length in ops:
            ref = f"p{n}"
            reg = EndpointRegistration.objects.filter(licence=licence, ref=ref).first()
            if op == "end" and reg is not None:
                end(world, reg)
            elif op in ("add", "change"):
                size = 1 << (32 - length)
                register(
                    licence,
                    ref,
                    f"39.32.{n}.{(n * 16) % 256 // size * size}/{length}",
                    f"Holder {n % 3}",
                )

    play(before)
    path = f"{services.export_dir()}/full.json"
    src = exports.Source.read()
    exports.write("json", path, src)
    with open(path, encoding="utf-8") as f:
        full = json.load(f)
    copy = {row["handle"]: row for row in full["registrations"]}
    play(after)
    items, _ = all_changes(full["cursor"], operator_headers(world))
    _apply(copy, items)
    assert copy == _registry_now()


# -- late commits: two threads, real transactions ------------------------------------------------------


def _in_thread(target: Any) -> threading.Thread:
    def run() -> None:
        try:
            target()
        finally:
            connections.close_all()

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


@pytest.mark.django_db(transaction=True)
def test_a_change_committed_late_is_never_skipped(licence: Any, world: dict[str, Any]) -> None:
    """Transaction X starts writing first but commits last; Y writes and commits in between. A
    reader in the middle must not move past X's change: neither the feed nor the index may skip it."""
    RUNTIME.snapshot(background=False)  # an index built before either change
    member = principal(world["member_a"])
    x_started, x_may_commit = threading.Event(), threading.Event()

    def x() -> None:
        with transaction.atomic():
            # Take a transaction id now (an unwatched column: no change logged yet).
            EndpointRegistration.objects.filter(pk=-1).update(updated_at=timezone.now())
            licence.refresh_from_db()
            registry.endpoint_save(
                principal=member,
                licence=licence,
                data={
                    "ref": "x",
                    "prefix": "39.32.1.0/24",
                    "holder_type": "organisation",
                    "holder_name": "X Ltd",
                },
            )
            x_started.set()
            x_may_commit.wait(10)

    def y() -> None:
        registry.endpoint_save(
            principal=member,
            licence=licence,
            data={
                "ref": "y",
                "prefix": "39.32.2.0/24",
                "holder_type": "organisation",
                "holder_name": "Y Ltd",
            },
        )

    headers = operator_headers(world)
    Client().get(f"{API}/changes", {"since": "0-0"}, **headers)  # the key's first use is a write
    tx = _in_thread(x)
    assert x_started.wait(10)
    ty = _in_thread(y)
    ty.join(3)  # on SQLite Y waits for X's write lock; on PostgreSQL it commits now
    middle = Client().get(f"{API}/changes", {"since": "0-0"}, **headers).json()
    RUNTIME.refresh()
    x_may_commit.set()
    tx.join(10)
    ty.join(10)
    assert not tx.is_alive() and not ty.is_alive()
    handles = dict(EndpointRegistration.objects.values_list("ref", "handle"))
    # On PostgreSQL the feed waits for every older transaction in the cluster to finish (other
    # databases' too): ask until both changes are out, as a client following the feed would.
    rest: list[dict[str, Any]] = []
    since = middle["next"]
    deadline = time.monotonic() + 60
    while len(rest) + len(middle["items"]) < 2 and time.monotonic() < deadline:
        more, since = all_changes(since, headers)
        rest += more
        time.sleep(0.2)
    seen = [i["handle"] for i in middle["items"] + rest]
    assert sorted(seen) == sorted([handles["x"], handles["y"]])
    assert handles["x"] not in [i["handle"] for i in middle["items"]]
    RUNTIME.refresh()
    index = RUNTIME.snapshot(background=False).index
    assert index.lookup("39.32.1.9") is not None and index.lookup("39.32.2.9") is not None
    if connection.vendor == "postgresql":
        assert middle["items"] == []  # Y's change waits behind X, which began first
        assert seen == [handles["x"], handles["y"]]
