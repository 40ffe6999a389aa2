"""MkDocs hook: renders the committed OpenAPI description (`docs/openapi.yaml`) as
Markdown at build time, where a page holds the marker `<!-- openapi: openapi.yaml -->`
(the path is relative to `docs_dir`).

Why a hook of our own rather than a plugin: the build must work without the network,
and the reference should read like the rest of the site. This renders with PyYAML
(already installed for drf-spectacular) into plain Markdown tables and code blocks that
the theme styles like every other page; it fetches nothing, needs no stylesheet from
elsewhere, and a description that cannot be rendered (a `$ref` to a missing schema, a
marker naming a missing file) fails the build with the reason.

The page is rebuilt from the file on every build, so `make openapi` is the only step
after changing the API: the reference cannot drift from `docs/openapi.yaml`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml
from mkdocs.exceptions import PluginError

MARKER = re.compile(r"^<!-- openapi: (?P<path>\S+) -->$", re.MULTILINE)
METHODS = ("get", "post", "put", "patch", "delete")
SCHEMA_PREFIX = "#/components/schemas/"


def on_page_markdown(markdown: str, page, config, files) -> str:
    def render(match: re.Match) -> str:
        path = Path(config["docs_dir"]) / match.group("path")
        if not path.is_file():
            raise PluginError(f"{page.file.src_uri}: no OpenAPI description at {path}")
        return render_description(yaml.safe_load(path.read_text()), source=match.group("path"))

    return MARKER.sub(render, markdown)


def render_description(spec: dict, source: str) -> str:
    schemas = spec.get("components", {}).get("schemas", {})
    out = [spec["info"].get("description", "").strip(), ""]
    out += [f"Version {spec['info']['version']}, OpenAPI {spec['openapi']}; rendered from `docs/{source}`.", ""]
    out += render_security(spec.get("components", {}).get("securitySchemes", {}))
    out += render_summary(spec["paths"])
    for tag, operations in operations_by_tag(spec["paths"]).items():
        out += [f"## {tag}", ""]
        for path, method, operation in operations:
            out += render_operation(path, method, operation, schemas)
    out += ["## Schemas", ""]
    for name, schema in schemas.items():
        out += render_schema(name, schema, schemas)
    return "\n".join(out)


def operations_by_tag(paths: dict) -> dict[str, list[tuple[str, str, dict]]]:
    grouped: dict[str, list[tuple[str, str, dict]]] = {}
    for path, item in paths.items():
        for method in METHODS:
            if method in item:
                tag = (item[method].get("tags") or ["other"])[0]
                grouped.setdefault(tag, []).append((path, method, item[method]))
    return grouped


def render_security(schemes: dict) -> list[str]:
    if not schemes:
        return []
    out = ["## Authentication", "", "| scheme | how | |", "|---|---|---|"]
    for name, scheme in schemes.items():
        how = f"HTTP {scheme['scheme']}" if scheme["type"] == "http" else f"{scheme.get('in')} `{scheme.get('name')}`"
        out.append(f"| `{name}` | {how} | {cell(scheme.get('description', ''))} |")
    return [*out, ""]


def render_summary(paths: dict) -> list[str]:
    out = ["## Endpoints", "", "| method | path | summary |", "|---|---|---|"]
    for path, item in paths.items():
        for method in METHODS:
            if method in item:
                operation = item[method]
                link = f"[`{path}`](#{operation_anchor(operation)})"
                out.append(f"| `{method.upper()}` | {link} | {cell(operation.get('summary', ''))} |")
    return [*out, ""]


def operation_anchor(operation: dict) -> str:
    return "op-" + operation["operationId"].replace("_", "-")


def render_operation(path: str, method: str, operation: dict, schemas: dict) -> list[str]:
    title = operation.get("summary") or operation["operationId"]
    out = [f"### {title} {{ #{operation_anchor(operation)} }}", "", f"`{method.upper()} {path}`", ""]
    if operation.get("description"):
        out += [operation["description"].strip(), ""]
    if operation.get("parameters"):
        out += ["| parameter | in | required | type | description |", "|---|---|---|---|---|"]
        for parameter in operation["parameters"]:
            kind = type_of(parameter.get("schema", {}), schemas)
            required = "yes" if parameter.get("required") else "no"
            description = cell(parameter.get("description", ""))
            out.append(f"| `{parameter['name']}` | {parameter['in']} | {required} | {kind} | {description} |")
        out.append("")
    body = operation.get("requestBody")
    if body:
        for content_type, content in body.get("content", {}).items():
            kind = type_of(content.get("schema", {}), schemas)
            out += [f"**Request body** (`{content_type}`{', required' if body.get('required') else ''}): {kind}", ""]
            out += render_examples(content.get("examples", {}))
            break  # the same schema is offered as form data too; JSON is the one to show
    out += ["| status | meaning | body |", "|---|---|---|"]
    for status, response in operation.get("responses", {}).items():
        content = response.get("content", {})
        kind = ", ".join(type_of(c.get("schema", {}), schemas) for c in content.values()) or "—"
        out.append(f"| `{status}` | {cell(response.get('description', '')) or '—'} | {kind} |")
    out.append("")
    for status, response in operation.get("responses", {}).items():
        for content in response.get("content", {}).values():
            out += render_examples(content.get("examples", {}), status=status)
    return out


def render_examples(examples: dict, status: str | None = None) -> list[str]:
    out = []
    for name, example in examples.items():
        label = example.get("summary") or name
        heading = f"Example: {label}" + (f" ({status})" if status else "")
        body = json.dumps(example.get("value"), indent=2, ensure_ascii=False)
        out += [f'??? example "{heading}"', "", "    ```json"]
        out += ["    " + line for line in body.splitlines()]
        out += ["    ```", ""]
    return out


def render_schema(name: str, schema: dict, schemas: dict) -> list[str]:
    out = [f"### {name} {{ #{schema_anchor(name)} }}", ""]
    if schema.get("description"):
        out += [schema["description"].strip(), ""]
    if "enum" in schema:
        values = ", ".join(f"`{value}`" for value in schema["enum"] if value is not None) or "`null`"
        return [*out, f"One of: {values}.", ""]
    properties = schema.get("properties", {})
    if not properties:
        return [*out, f"Type: {type_of(schema, schemas)}.", ""]
    required = set(schema.get("required", []))
    out += ["| field | type | required | description |", "|---|---|---|---|"]
    for field, prop in properties.items():
        notes = [text for text in (prop.get("description", "").strip(),) if text]
        if prop.get("readOnly"):
            notes.append("Read-only.")
        if prop.get("nullable"):
            notes.append("May be null.")
        if "default" in prop:
            notes.append(f"Default `{json.dumps(prop['default'])}`.")
        limits = [f"{key} {prop[key]}" for key in ("minLength", "maxLength", "minimum", "maximum") if key in prop]
        if limits:
            notes.append(", ".join(limits) + ".")
        flag = "yes" if field in required else "no"
        out.append(f"| `{field}` | {type_of(prop, schemas)} | {flag} | {cell(' '.join(notes))} |")
    return [*out, ""]


def schema_anchor(name: str) -> str:
    return "schema-" + name.lower()


def type_of(schema: dict, schemas: dict) -> str:
    """A short, linked description of a schema: `string (uuid)`, `array of Patient`…"""
    if "$ref" in schema:
        ref = schema["$ref"]
        if not ref.startswith(SCHEMA_PREFIX) or ref.removeprefix(SCHEMA_PREFIX) not in schemas:
            raise PluginError(f"OpenAPI: unknown reference {ref}")
        name = ref.removeprefix(SCHEMA_PREFIX)
        return f"[{name}](#{schema_anchor(name)})"
    for combinator, joiner in (("allOf", " and "), ("oneOf", " or "), ("anyOf", " or ")):
        if combinator in schema:
            return joiner.join(type_of(part, schemas) for part in schema[combinator])
    kind = schema.get("type", "any")
    if kind == "array":
        return "array of " + type_of(schema.get("items", {}), schemas)
    if kind == "object" and isinstance(schema.get("additionalProperties"), dict):
        return "object of " + type_of(schema["additionalProperties"], schemas)
    if "enum" in schema:
        return kind + " (" + ", ".join(f"`{value}`" for value in schema["enum"]) + ")"
    return f"{kind} ({schema['format']})" if "format" in schema else kind


def cell(text: str) -> str:
    """Text fit for one Markdown table cell."""
    return text.strip().replace("|", "\\|").replace("\n\n", "<br>").replace("\n", " ")
