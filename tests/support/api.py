"""Helpers for the API tests: keys and a client that speaks JSON with a bearer key."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from django.test import Client

from clinic.api.services import api_key_create
from tenancy.context import tenant_context

V1 = "/api/v1"


def make_key(org, *, read_only: bool = False, name: str = "Integration", created_by=None) -> str:
    scopes = ("read",) if read_only else ("read", "write")
    with tenant_context(org=org):
        _, key = api_key_create(name=name, scopes=scopes, created_by=created_by)
    return key


class ApiClient:
    """The Django test client, with `Authorization: Bearer <key>` and JSON bodies."""

    def __init__(self, key: str | None = None, client: Client | None = None) -> None:
        self.client = client or Client()
        self.headers = {"Authorization": f"Bearer {key}"} if key else {}

    def _url(self, path: str) -> str:
        return path if path.startswith("/") else f"{V1}/{path}"

    def get(self, path: str, params=None, **headers):
        return self.client.get(self._url(path), params or {}, headers={**self.headers, **headers})

    def post(self, path: str, data=None, **headers):
        body = json.dumps(data) if data is not None else ""
        return self.client.post(
            self._url(path), body, content_type="application/json", headers={**self.headers, **headers}
        )

    def patch(self, path: str, data=None, **headers):
        return self.client.patch(
            self._url(path),
            json.dumps(data or {}),
            content_type="application/json",
            headers={**self.headers, **headers},
        )

    def request(self, method: str, path: str, data=None, **headers):
        body = json.dumps(data) if data is not None else ""
        handler = getattr(self.client, method.lower())
        return handler(self._url(path), body, content_type="application/json", headers={**self.headers, **headers})


def walk(api, url: str) -> list[list[str]]:
    pages = []
    while url:
        response = api.get(url)
        assert response.status_code == 200, response.json()
        pages.append([row["id"] for row in response.json()["results"]])
        url = response.json()["next"]
        url = urlsplit(url)._replace(scheme="", netloc="").geturl() if url else None
    return pages
