"""What the generated OpenAPI schema adds: links (what a created record's answer leads to, its own
reads and actions, so that a client and schemathesis' state machine can follow a record from
creation to its later steps), and the 400 that any operation with a body gives to one that
cannot be parsed."""

from __future__ import annotations

from typing import Any

# (method, path, status) of a creation -> [(method, path, {parameter: runtime expression})]
LINKS: dict[tuple[str, str, int], list[tuple[str, str, dict[str, str]]]] = {
    ("post", "/api/v1/applications", 201): [
        ("get", "/api/v1/applications/{application_id}", {"application_id": "$response.body#/id"}),
        (
            "patch",
            "/api/v1/applications/{application_id}",
            {"application_id": "$response.body#/id"},
        ),
        (
            "post",
            "/api/v1/applications/{application_id}/submit",
            {"application_id": "$response.body#/id"},
        ),
        (
            "post",
            "/api/v1/applications/{application_id}/withdraw",
            {"application_id": "$response.body#/id"},
        ),
    ],
    ("post", "/api/v1/organisations/{organisation_id}/api-keys", 201): [
        ("delete", "/api/v1/api-keys/{key_id}", {"key_id": "$response.body#/id"}),
    ],
    ("post", "/api/v1/subscribers", 201): [
        ("get", "/api/v1/subscribers/{subscriber_id}", {"subscriber_id": "$response.body#/id"}),
        (
            "post",
            "/api/v1/subscribers/{subscriber_id}/end",
            {"subscriber_id": "$response.body#/id"},
        ),
    ],
    ("post", "/api/v1/endpoints", 201): [
        ("get", "/api/v1/endpoints/{handle}", {"handle": "$response.body#/handle"}),
        ("post", "/api/v1/endpoints/{handle}/end", {"handle": "$response.body#/handle"}),
    ],
    ("post", "/api/v1/imports", 202): [
        ("get", "/api/v1/imports/{import_id}", {"import_id": "$response.body#/id"}),
    ],
    ("post", "/api/v1/portal/requests", 201): [
        ("get", "/api/v1/portal/requests/{request_id}", {"request_id": "$response.body#/id"}),
        (
            "post",
            "/api/v1/portal/requests/{request_id}/submit",
            {"request_id": "$response.body#/id"},
        ),
    ],
    ("post", "/api/v1/returns", 201): [
        ("get", "/api/v1/returns/{return_id}", {"return_id": "$response.body#/id"}),
        ("get", "/api/v1/returns/{return_id}/csv", {"return_id": "$response.body#/id"}),
    ],
    ("post", "/api/v1/violations", 201): [
        ("get", "/api/v1/violations/{violation_id}", {"violation_id": "$response.body#/id"}),
        (
            "post",
            "/api/v1/violations/{violation_id}/dismiss",
            {"violation_id": "$response.body#/id"},
        ),
    ],
}


ERROR_REF = "#/components/schemas/Error"


def add_links(schema: dict[str, Any]) -> dict[str, Any]:
    """Add LINKS to a generated schema, for the operations and statuses it documents, and the 400
    of an unparsable body to every operation that takes one."""
    paths = schema.get("paths", {})
    if ERROR_REF.rsplit("/", 1)[-1] in schema.get("components", {}).get("schemas", {}):
        for operations in paths.values():
            for operation in operations.values():
                responses = operation.get("responses", {})
                if "requestBody" in operation and 400 not in responses and "400" not in responses:
                    responses[400] = {
                        "description": "The body cannot be parsed",
                        "content": {"application/json": {"schema": {"$ref": ERROR_REF}}},
                    }
    for (method, path, status), targets in LINKS.items():
        operation = paths.get(path, {}).get(method)
        if operation is None:
            continue
        response = operation.get("responses", {}).get(status) or operation.get("responses", {}).get(
            str(status)
        )
        if response is None:
            continue
        links = response.setdefault("links", {})
        for target_method, target_path, parameters in targets:
            target = paths.get(target_path, {}).get(target_method)
            if target is None or "operationId" not in target:
                continue
            links[target["operationId"]] = {
                "operationId": target["operationId"],
                "parameters": parameters,
            }
    return schema
