"""The OpenAPI 3.1 document, generated from the same route table that registers the handlers."""
from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from aiohttp import web

from server.api.routing import Route, json_response

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


def build_openapi(routes: Iterable[Route], title: str, version: str) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    schemas: dict[str, Any] = {"Error": ERROR_SCHEMA}
    for route in routes:
        operation: dict[str, Any] = {
            "summary": route.summary,
            "operationId": re.sub(r"[^A-Za-z0-9]+", "_", f"{route.method}_{route.path}").strip("_").lower(),
            "tags": [route.tag],
            "parameters": [
                {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                for name in re.findall(r"{(\w+)}", route.path)
            ]
            + [{"name": name, "in": "query", "required": False, "schema": {"type": "string"}} for name in route.query],
            "responses": {
                "200": {"description": "OK", "content": {"application/json": {}}},
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
                "required": True,
                "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}},
            }
        paths.setdefault(route.path, {})[route.method.lower()] = operation
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
    """The route serving the document, which describes the other routes and itself."""
    document: dict[str, Any] = {}

    async def handler(_: web.Request, __: object) -> web.Response:
        return json_response(document)

    route = Route("GET", "/api/v1/openapi.json", handler, "This document", None, tag="meta")
    document.update(build_openapi([*routes, route], title, version))
    return route
