"""The OpenAPI 3.1 document, generated from the same route table that registers the handlers."""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from aiohttp import web

from server.api.keys import CONFIG
from server.api.routing import INTEGER, TEXT, Route, json_response

ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string", "description": "Chinese, for the person in front of the screen"},
                "message_en": {"type": "string"},
                "details": {"type": "object"},
            },
            "required": ["code", "message", "message_en"],
        }
    },
}


INTEGER_PATH_PARAMETERS = frozenset({"ticket_id", "appeal_id"})  # the rest are codes and numbers: text

Choices = Mapping[tuple[str, str], Iterable[str]]
"""Values a body field takes that the hall's configuration sets: (model name, field) -> values."""


def build_openapi(routes: Iterable[Route], title: str, version: str, choices: Choices | None = None) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    schemas: dict[str, Any] = {"Error": ERROR_SCHEMA}
    for route in routes:
        operation: dict[str, Any] = {
            "summary": route.summary,
            "operationId": re.sub(r"[^A-Za-z0-9]+", "_", f"{route.method}_{route.path}").strip("_").lower(),
            "tags": [route.tag],
            "parameters": [
                {"name": name, "in": "path", "required": True,
                 "schema": dict(INTEGER if name in INTEGER_PATH_PARAMETERS else TEXT)}
                for name in re.findall(r"{(\w+)}", route.path)
            ]
            # Every query parameter is optional, and given empty it counts as not given (the
            # hall's pages send empty form fields so).
            + [{"name": name, "in": "query", "required": False, "allowEmptyValue": True, "schema": dict(schema)}
               for name, schema in route.query.items()],
            "responses": {
                "200": {"description": "OK", "content": {route.media_type: {}}},
                "default": {
                    "description": "Error",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                },
            },
        }
        if route.roles is not None:
            operation["security"] = [{"bearer": []}]
            operation["x-roles"] = sorted(r.value for r in route.roles)
        if route.path.endswith("/tickets") and route.method == "POST":
            operation["parameters"].append(
                {"name": "Idempotency-Key", "in": "header", "required": False, "schema": {"type": "string", "maxLength": 100}}
            )
        if route.body is not None:
            name = route.body.__name__
            schemas[name] = route.body.model_json_schema(ref_template="#/components/schemas/{model}")
            schemas.update(schemas[name].pop("$defs", {}))
            operation["requestBody"] = {
                # A body whose every field has a default may be left out (e.g. closing the day).
                "required": any(f.is_required() for f in route.body.model_fields.values()),
                "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}},
            }
        paths.setdefault(route.path, {})[route.method.lower()] = operation
    for (model, field), values in (choices or {}).items():
        if model in schemas:
            schemas[model]["properties"][field]["enum"] = list(values)
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


def openapi_route(routes: list[Route], title: str, version: str) -> Route:
    """The route serving the document, which describes the other routes and itself, with the
    finish outcomes and pause reasons this hall's rules allow."""

    async def handler(request: web.Request, __: object) -> web.Response:
        rules = request.app[CONFIG].rules
        choices = {("FinishBody", "outcome"): sorted(rules.finish_outcomes), ("PauseBody", "reason"): sorted(rules.pause_reasons)}
        return json_response(build_openapi([*routes, route], title, version, choices))

    route = Route("GET", "/api/v1/openapi.json", handler, "This document", None, tag="meta")
    return route
