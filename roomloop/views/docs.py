"""``/docs``: the API reference, rendered on the server from the OpenAPI document.

Everything the page says about an operation (parameters, bodies, responses, error codes)
is read from ``roomloop/api/openapi.yaml``, the document ``GET /v1/openapi.json`` serves,
so the page and the document cannot disagree.
"""

import functools
import json
import re

from flask import Blueprint, render_template
from markupsafe import Markup, escape

from ..api.openapi import openapi_document

bp = Blueprint("docs", __name__)

METHODS = ("get", "post", "patch", "put", "delete")
ERROR_BASICS = {"code", "message", "request_id"}


@bp.get("/docs")
def index():
    """Render the API reference for people: by tag, each operation with its inputs and outputs."""
    return render_template("docs/index.html", api=page_model())


@bp.app_template_filter("doc_text")
def doc_text(text):
    """The document's descriptions: paragraphs, `code` and **strong**; nothing else is markup."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text or "") if p.strip()]
    html = []
    for paragraph in paragraphs:
        safe = str(escape(" ".join(paragraph.split())))
        safe = re.sub(r"`([^`]+)`", r"<code>\1</code>", safe)
        safe = re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", safe)
        html.append(f"<p>{safe}</p>")
    return Markup("\n".join(html))


@functools.cache
def page_model():
    """What the page shows; the document does not change while the process runs."""
    return reference(openapi_document())


def reference(document):
    """What the page shows, worked out from the OpenAPI document."""
    docs = Document(document)
    operations = docs.operations()
    tags = [
        {
            "name": tag["name"],
            "anchor": "tag-" + slug(tag["name"]),
            "description": tag.get("description", ""),
            "operations": [op for op in operations if op["tag"] == tag["name"]],
        }
        for tag in document.get("tags", [])
    ]
    booking = next(op for op in operations if op["id"] == "createReservation")
    series = next(op for op in operations if op["id"] == "createSeries")
    resources = docs.resources()
    return {
        "info": document["info"],
        "server": document["servers"][0]["url"],
        "tags": [tag for tag in tags if tag["operations"]],
        "operation_count": len(operations),
        "booking": booking,
        "series": series,
        "errors": docs.error_table(),
        "headers": docs.rate_limit_headers(),
        "resources": resources,
        "resource_names": {resource["name"] for resource in resources},
        "events": docs.events(),
    }


def slug(text):
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def pretty(value, media_type="application/json"):
    if isinstance(value, str) and not media_type.endswith("json"):
        return value.rstrip("\n")
    return json.dumps(value, indent=2, ensure_ascii=False)


class Document:
    """Reading aids over the OpenAPI document: references, schemas in words, examples."""

    def __init__(self, document):
        self.document = document

    def resolve(self, node):
        while isinstance(node, dict) and "$ref" in node:
            target = self.document
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
        return node

    @staticmethod
    def ref_name(node):
        return node["$ref"].rsplit("/", 1)[1] if isinstance(node, dict) and "$ref" in node else None

    # Operations --------------------------------------------------------------------------

    def operations(self):
        found = []
        for path, item in self.document["paths"].items():
            shared = item.get("parameters", [])
            for method, operation in item.items():
                if method in METHODS:
                    found.append(self.operation(path, method, operation, shared))
        return found

    def operation(self, path, method, operation, shared):
        parameters = [self.parameter(p) for p in [*shared, *operation.get("parameters", [])]]
        return {
            "id": operation["operationId"],
            "anchor": "op-" + operation["operationId"],
            "tag": operation["tags"][0],
            "method": method.upper(),
            "path": path,
            "summary": operation.get("summary", ""),
            "description": operation.get("description", ""),
            "public": operation.get("security") == [],
            "parameters": parameters,
            "body": self.request_body(operation.get("requestBody")),
            "responses": [
                self.response(status, response)
                for status, response in operation.get("responses", {}).items()
            ],
        }

    def parameter(self, node):
        parameter = self.resolve(node)
        schema = self.resolve(parameter.get("schema", {}))
        return {
            "name": parameter["name"],
            "in": parameter["in"],
            "required": parameter.get("required", False),
            "type": self.type_of(schema),
            "limits": self.limits_of(schema),
            "description": parameter.get("description") or schema.get("description", ""),
            "example": parameter.get("example"),
        }

    def request_body(self, node):
        if node is None:
            return None
        body = self.resolve(node)
        media_type, content = next(iter(body["content"].items()))
        schema = self.resolve(content["schema"])
        example = content.get("example")
        if example is None and content.get("examples"):
            example = next(iter(content["examples"].values()))["value"]
        if media_type == "multipart/form-data":
            lines = [f"{name}: {pretty(value, 'text')}" for name, value in (example or {}).items()]
            example_text = "\n".join(lines)
        else:
            example_text = pretty(example, media_type) if example is not None else ""
        return {
            "media_type": media_type,
            "schema": self.ref_name(content["schema"]),
            "fields": self.fields(schema),
            "example": example_text,
            "rule": schema.get("description", ""),
        }

    def response(self, status, node):
        response = self.resolve(node)
        content = response.get("content", {})
        media_types = list(content)
        schema_node = next(iter(content.values()), {}).get("schema")
        first = next(iter(content.values()), {})
        example = first.get("example")
        if example is None and first.get("examples"):
            example = next(iter(first["examples"].values()))["value"]
        return {
            "status": status,
            "description": response.get("description", ""),
            "media_types": media_types,
            "schema": self.ref_name(schema_node) if schema_node else None,
            "list_of": self.list_item(schema_node) if schema_node else None,
            "codes": self.error_codes(schema_node) if schema_node else [],
            "headers": sorted(response.get("headers", {})),
            "example": pretty(example, media_types[0]) if example is not None else "",
        }

    def list_item(self, schema_node):
        """``Facility`` for a list envelope of facilities, else ``None``."""
        data = self.resolve(schema_node).get("properties", {}).get("data", {})
        return self.ref_name(data.get("items"))

    def error_codes(self, schema_node):
        """The ``error.code`` values an error response's schema allows."""
        schema = self.resolve(schema_node)
        error = schema.get("properties", {}).get("error", {}).get("properties", {})
        code = error.get("code", {})
        if "const" in code:
            return [code["const"]]
        return list(code.get("enum", []))

    # Schemas in words --------------------------------------------------------------------

    def type_of(self, schema):
        schema = self.resolve(schema)
        if "const" in schema:
            return f"“{schema['const']}”"
        if "enum" in schema:
            values = [v for v in schema["enum"] if v is not None]
            text = "one of " + ", ".join(str(v) for v in values)
            return text + (" or null" if None in schema["enum"] else "")
        kinds = schema.get("type", "object")
        kinds = kinds if isinstance(kinds, list) else [kinds]
        named = [k for k in kinds if k != "null"]
        text = " or ".join(named) or "null"
        if "array" in named and "items" in schema:
            item = self.ref_name(schema["items"]) or self.type_of(schema["items"])
            text = f"array of {item}"
        elif schema.get("format"):
            text += f" ({schema['format']})"
        return text + (" or null" if "null" in kinds and named else "")

    def limits_of(self, schema):
        schema = self.resolve(schema)
        parts = []
        if "minLength" in schema or "maxLength" in schema:
            parts.append(
                self._range(schema.get("minLength"), schema.get("maxLength"), "characters")
            )
        if "minimum" in schema or "maximum" in schema:
            parts.append(self._range(schema.get("minimum"), schema.get("maximum"), ""))
        if "minItems" in schema or "maxItems" in schema:
            parts.append(self._range(schema.get("minItems"), schema.get("maxItems"), "items"))
        if "default" in schema:
            parts.append(f"default {json.dumps(schema['default'], ensure_ascii=False)}")
        # Text patterns only refuse control characters, which the conventions already say.
        if "pattern" in schema and "\\x00" not in schema["pattern"]:
            parts.append(f"pattern {schema['pattern']}")
        return "; ".join(p for p in parts if p)

    @staticmethod
    def _range(low, high, unit):
        unit = f" {unit}" if unit else ""
        if low is not None and high is not None:
            return f"{low}–{high}{unit}"
        if high is not None:
            return f"at most {high}{unit}"
        return f"at least {low}{unit}"

    def fields(self, schema):
        schema = self.resolve(schema)
        for part in schema.get("allOf", []):
            base = self.resolve(part)
            schema = {
                **base,
                **schema,
                "properties": {**base.get("properties", {}), **schema.get("properties", {})},
                "required": [*base.get("required", []), *schema.get("required", [])],
            }
        required = set(schema.get("required", []))
        return [
            {
                "name": name,
                "required": name in required,
                "type": self.ref_name(node) or self.type_of(node),
                "limits": self.limits_of(node),
                "description": self.resolve(node).get("description", ""),
            }
            for name, node in schema.get("properties", {}).items()
        ]

    # Whole-API tables --------------------------------------------------------------------

    def error_table(self):
        """Each status and code, with its extra fields, from the error responses the
        operations use (405 answers any method an operation lacks)."""
        statuses = {"MethodNotAllowed": "405"}
        for item in self.document["paths"].values():
            for method, operation in item.items():
                if method in METHODS:
                    for status, node in operation["responses"].items():
                        statuses.setdefault(self.ref_name(node), status)
        error = self.resolve(self.document["components"]["schemas"]["Error"])
        extras = error["properties"]["error"]["properties"]
        rows, listed = [], set()
        for name, node in self.document["components"]["responses"].items():
            response = self.response(statuses[name], node)
            for code in response["codes"]:
                if code in listed:
                    continue
                listed.add(code)
                fields = [
                    field
                    for field, schema in extras.items()
                    if field not in ERROR_BASICS and f"`{code}`" in schema.get("description", "")
                ]
                rows.append({**response, "code": code, "fields": fields})
        return sorted(rows, key=lambda row: row["status"])

    def rate_limit_headers(self):
        headers = self.document["components"]["headers"]
        names = ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "Retry-After")
        return [{"name": name, "description": headers[name]["description"]} for name in names]

    def resources(self):
        schemas = self.document["components"]["schemas"]
        names = (
            "Facility",
            "Display",
            "DisplayCreated",
            "Reservation",
            "Series",
            "SeriesRepeat",
            "SeriesWithReservations",
            "SeriesDryRun",
            "Occurrence",
            "DateRefusal",
            "Availability",
            "School",
            "Term",
            "PeriodInput",
            "CycleUpdate",
            "Account",
            "Me",
            "Session",
            "ImportSummary",
            "UsageReport",
            "WebhookEndpoint",
            "WebhookEndpointWithSecret",
            "WebhookDelivery",
            "Suggestion",
            "Error",
        )
        # An error's fields are those of its one member, ``error``.
        shown = {name: schemas[name] for name in names}
        shown["Error"] = {**schemas["Error"], **schemas["Error"]["properties"]["error"]}
        return [
            {
                "name": name,
                "anchor": "schema-" + name,
                "description": schema.get("description", ""),
                "fields": self.fields(schema),
            }
            for name, schema in shown.items()
        ]

    def events(self):
        found = []
        for event_type, item in self.document.get("webhooks", {}).items():
            operation = self.resolve(item["post"])
            body = self.resolve(operation["requestBody"])["content"]["application/json"]
            found.append(
                {
                    "type": event_type,
                    "summary": operation.get("summary", ""),
                    "schema": self.ref_name(body["schema"]),
                }
            )
        first = self.resolve(next(iter(self.document["webhooks"].values()))["post"])
        return {
            "types": found,
            "delivery": first.get("description", ""),
            "headers": [self.parameter(p) for p in first.get("parameters", [])],
        }
