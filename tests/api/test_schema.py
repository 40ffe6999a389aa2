"""The OpenAPI description: committed as docs/openapi.yaml and kept in step with the
code, valid, served at /api/schema/ with interactive docs at /api/docs/, and true to
what the API answers (schemathesis, against the live schema)."""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
import yaml
from django.conf import settings
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import override_settings
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiYamlRenderer
from drf_spectacular.validation import validate_schema
from hypothesis import HealthCheck, Phase
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from clinic.wsgi import application

COMMITTED = Path(settings.BASE_DIR) / "docs" / "openapi.yaml"


def generated() -> str:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    validate_schema(schema)
    return OpenApiYamlRenderer().render(schema, renderer_context={}).decode()


def test_the_committed_schema_matches_the_code():
    assert generated() == COMMITTED.read_text(), "docs/openapi.yaml is stale: run `make openapi` and commit it"


def test_every_operation_has_examples_errors_and_the_bearer_scheme():
    schema = yaml.safe_load(COMMITTED.read_text())
    assert schema["components"]["securitySchemes"]["apiKey"] == {
        **schema["components"]["securitySchemes"]["apiKey"],
        "type": "http",
        "scheme": "bearer",
    }
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            label = f"{method.upper()} {path}"
            assert {"apiKey": []} in operation["security"], label
            assert operation.get("summary"), label
            responses = operation["responses"]
            assert {"401", "403", "429"} <= set(responses), label
            success = next(code for code in responses if code.startswith("2"))
            if success == "204":  # No Content (a delete): nothing to show
                assert "content" not in responses[success], label
            else:
                assert responses[success]["content"]["application/json"].get("examples"), label
            for code in ("401", "429"):
                assert responses[code]["content"]["application/json"]["examples"], label
            if method in ("post", "patch") and "requestBody" in operation:
                assert operation["requestBody"]["content"]["application/json"].get("examples"), label


def test_the_schema_and_docs_are_served_without_a_key(client, db):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    assert yaml.safe_load(response.content) == yaml.safe_load(COMMITTED.read_text())
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    body = docs.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in body  # served by the app, no CDN
    assert "cdn" not in body.lower()


# --- schemathesis: generated requests against the app ---------------------------
# The operations come from the committed schema, which the tests above prove is the
# one the app serves; the requests go to the app itself (its WSGI application, in the
# test's transaction) with a real key of a clinic that has data.

schema = schemathesis.openapi.from_path(COMMITTED)
schema.app = application


@pytest.fixture
def integration(people_a, key_a):
    # As Django's test client does: the request signals must not close the test's
    # connection after each request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield {"Authorization": f"Bearer {key_a}"}
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@schema.parametrize()
@hypothesis_settings(
    max_examples=10,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
@override_settings(API_THROTTLE_RATE="")
def test_the_api_does_what_its_schema_says(case, integration):
    case.call_and_validate(
        headers=integration,
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
            response_headers_conformance,
        ],
    )
