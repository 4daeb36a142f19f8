"""The acceptance API's documentation page for people, made from the site's OpenAPI document.

The document itself comes from django-ninja (legal/acceptance_api.py) merged with
legal/openapi.yaml by legal/openapi.py; tests/test_openapi_acceptances.py holds it to the
views. The page at `/<lang>/api/acceptances/` is rendered on the server from it: no script
and nothing from a CDN (CSP). Its technical descriptions are English, like the API's
messages; the page says so in Vietnamese.
"""

from django.views.generic import TemplateView

from .openapi import acceptance_paths, openapi_document

# Public operations the page lists next to the acceptance API's own.
RELATED_PATHS = ["/.well-known/jwks.json"]


def _type_of(schema):
    if "anyOf" in schema:
        return " | ".join(_type_of(option) for option in schema["anyOf"])
    if "const" in schema:
        return str(schema["const"])
    if "enum" in schema:
        return " | ".join(str(value) for value in schema["enum"])
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    kind = schema.get("type", "")
    if kind == "string" and "pattern" in schema:
        return f"string ({schema['pattern']})"
    if kind == "array":
        return f"array of {_type_of(schema.get('items', {}))}"
    return " | ".join(kind) if isinstance(kind, list) else kind


def _description(*schemas):
    """The first description among `schemas` and their `anyOf` options (pydantic nests a nullable one's)."""
    for schema in schemas:
        for candidate in (schema, *schema.get("anyOf", [])):
            if candidate.get("description"):
                return candidate["description"]
    return ""


def operations(spec):
    """Each operation of the acceptance API in `spec`, flattened for the documentation page."""
    schemas = spec["components"]["schemas"]
    listed = []
    for path in [*acceptance_paths(), *RELATED_PATHS]:
        item = spec["paths"][path]
        for method, op in item.items():
            if method == "parameters":
                continue
            parameters = [*item.get("parameters", []), *op.get("parameters", [])]
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            body_schema = schemas[body["$ref"].rsplit("/", 1)[-1]] if body else {}
            listed.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": op["summary"],
                    "scopes": [scope for requirement in op.get("security", []) for scope in requirement.values()],
                    "parameters": [
                        {
                            "name": p["name"],
                            "in": p["in"],
                            "required": p.get("required", False),
                            "type": _type_of(p.get("schema", {})),
                            "description": _description(p, p.get("schema", {})),
                        }
                        for p in parameters
                    ],
                    "fields": [
                        {
                            "name": name,
                            "required": name in body_schema.get("required", []),
                            "type": _type_of(field),
                            "description": _description(field),
                        }
                        for name, field in body_schema.get("properties", {}).items()
                    ],
                    "responses": [
                        {"status": status, "description": answer["description"]}
                        for status, answer in sorted(op["responses"].items())
                    ],
                }
            )
    return listed


class DocsView(TemplateView):
    """`/<lang>/api/acceptances/`: the OpenAPI document as a page for the products' developers."""

    template_name = "legal/api_docs.html"

    def get_context_data(self, **kwargs):
        spec = openapi_document()
        return super().get_context_data(**kwargs, spec=spec, operations=operations(spec))
