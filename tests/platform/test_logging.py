"""What the app writes to its log: a refused request is one line, a server error keeps
its traceback."""

from __future__ import annotations

import logging

import pytest
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory
from django.utils.log import log_response

from tests.support.two_factor import sign_in_with_code


def test_a_403_is_logged_in_one_line(client, owner_a, org_a, caplog):
    owner_a.is_staff = True
    owner_a.save()
    sign_in_with_code(client, owner_a, org_a)
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = client.get("/admin/accounts/user/")  # only superusers see users
    assert response.status_code == 403
    [record] = [r for r in caplog.records if r.name == "django.request"]
    assert record.getMessage() == "Forbidden (Permission denied): /admin/accounts/user/"
    assert record.exc_info is None
    assert "Traceback" not in caplog.text


@pytest.mark.parametrize(("status", "traceback"), [(400, False), (403, False), (500, True)])
def test_only_server_errors_keep_their_traceback(status, traceback, caplog):
    request = RequestFactory().get("/somewhere/")
    response = type("Response", (), {"status_code": status})()
    try:
        raise PermissionDenied("no")
    except PermissionDenied as exc:
        with caplog.at_level(logging.WARNING, logger="django.request"):
            log_response("Refused: %s", request.path, response=response, request=request, exception=exc)
    assert ("Traceback" in caplog.text) is traceback
    assert len(caplog.text.splitlines()) == 1 or traceback
