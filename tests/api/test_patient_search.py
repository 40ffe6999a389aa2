"""Patient search in the API: the terms travel in a POST body, never in a URL (access
logs keep URLs), and the list's cursors name no one."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, urlsplit

from tenancy.context import tenant_context
from tests.support import factories


def _search(client, q, **params):
    path = "patients/search/"
    if params:
        path += "?" + "&".join(f"{name}={value}" for name, value in params.items())
    return client.post(path, {"q": q})


def test_patients_are_searched_by_post(api_a, people_a):
    response = _search(api_a, "roe")
    assert response.status_code == 200, response.json()
    assert [row["first_name"] for row in response.json()["results"]] == ["John"]


def test_a_read_only_key_may_search(api_a_read_only, people_a):
    response = _search(api_a_read_only, "doe")
    assert response.status_code == 200
    assert [row["first_name"] for row in response.json()["results"]] == ["Jane"]


def test_a_search_finds_no_other_clinics_patient(api_a, people_a, people_b):
    found = _search(api_a, "doe").json()["results"]
    assert [row["id"] for row in found] == [str(people_a.jane.pk)]
    assert _search(api_a, "OtherJane").json()["results"] == []
    assert _search(api_a, people_b.jane.phone[-7:]).json()["results"] == []


def test_terms_in_the_query_string_are_refused(api_a, people_a):
    response = api_a.get("patients/", {"q": "roe"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "search_terms_in_url"
    assert "patients/search/" in error["message"]


def test_an_empty_or_missing_search_is_named(api_a, people_a):
    for body in ({"q": ""}, {}, {"q": "x" * 101}):
        response = api_a.post("patients/search/", body)
        assert response.status_code == 400
        assert "q" in response.json()["error"]["fields"]


def test_search_pages_continue_with_the_same_body(api_a, org_a):
    with tenant_context(org=org_a):
        for number in range(5):
            factories.patient(first_name=f"Sam{number}", last_name="Quill", phone=f"+4930555000{number}")
    first = _search(api_a, "quill", limit=2).json()
    pages = [row["first_name"] for row in first["results"]]
    next_link = first["next"]
    while next_link:
        parts = urlsplit(next_link)
        assert parts.path.endswith("/patients/search/")
        page = api_a.post(f"patients/search/?{parts.query}", {"q": "quill"}).json()
        pages += [row["first_name"] for row in page["results"]]
        next_link = page["next"]
    assert pages == [f"Sam{number}" for number in range(5)]


def test_a_patients_cursor_names_no_one(api_a, people_a):
    link = api_a.get("patients/", {"limit": 1}).json()["next"]
    cursor = parse_qs(urlsplit(link).query)["cursor"][0]
    readable = [cursor, base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("latin-1")]
    first = api_a.get("patients/", {"limit": 1}).json()["results"][0]
    for text in readable:
        assert first["last_name"] not in text
        assert first["first_name"] not in text


def test_a_tampered_cursor_is_refused(api_a, people_a):
    link = api_a.get("patients/", {"limit": 1}).json()["next"]
    cursor = parse_qs(urlsplit(link).query)["cursor"][0]
    tampered = cursor[:-3] + ("A" if cursor[-3] != "A" else "B") + cursor[-2:]
    response = api_a.get("patients/", {"cursor": tampered})
    assert response.status_code == 400
    assert "cursor" in response.json()["error"]["fields"]
