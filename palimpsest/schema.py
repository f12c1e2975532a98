"""OpenAPI post-processing: every operation documents the error answers it can give, in the one error shape.

Why: the API answers bad input with 400, hidden or missing objects with 404, a database it cannot
reach with 503 and so on, all as ``{"error": {...}}`` (palimpsest/errors.py); a schema that lists only
the success code makes every such correct answer look undocumented to a client or a fuzzer.
"""
from __future__ import annotations

from typing import Any

ERROR_SCHEMA = {
    "type": "object",
    "properties": {"error": {"type": "object", "properties": {
        "code": {"type": "string"}, "message": {"type": "string"}, "detail": {"nullable": True}},
        "required": ["code", "message"]}},
    "required": ["error"],
}
ALWAYS = {"400": "Bad input (the error says what)", "401": "Not signed in", "403": "Your role does not allow it",
          "404": "No such object, or one you may not see (the same answer)", "406": "No acceptable representation",
          "429": "Too many requests", "503": "The archive cannot keep the request now; retry after Retry-After seconds"}
WRITES = {"409": "Conflicts with the current state", "413": "Too large", "415": "Unsupported media type"}
# Answered by the web server before the API sees the request, so in its own format (no content documented):
# gunicorn refuses a request line over --limit-request-line (4,094 bytes), e.g. a query string of hundreds of ids.
SERVER = {"414": "The request line is longer than the web server accepts (gunicorn's limit, 4,094 bytes); the web "
                 "server answers it, not the API, so the body is not the error shape. Send fewer or shorter parameters."}


def add_error_responses(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    ref = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            errors = {**ALWAYS, **(WRITES if method in ("post", "put", "patch", "delete") else {})}
            # An endpoint that answers JSON-LD (annotations) renders its errors the same way.
            types = {t for code, r in operation["responses"].items() if str(code).startswith("2")
                     for t in (r.get("content") or {})}
            content = {t: ref["application/json"] for t in ({"application/json"} | {t for t in types if "json" in t})}
            for code, description in errors.items():
                operation["responses"].setdefault(code, {"description": description, "content": content})
            for code, description in SERVER.items():
                operation["responses"].setdefault(code, {"description": description})
    return result
