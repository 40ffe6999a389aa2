"""Small helpers the staff views share: where to go after a POST, and one row's address."""

from __future__ import annotations

import uuid

from django.http import HttpRequest
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme


def next_url(request: HttpRequest, fallback: str) -> str:
    """The page to return to after a POST: the posted `next` if it is one of ours."""
    candidate = request.POST.get("next", "")
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return fallback


class RowUrl:
    """The address of one row's page (a URL name taking one id), reversed once per page
    and filled in with each row's id: a pattern's reverse costs more than the rest of
    a row of a list or a card of the day schedule."""

    _PLACEHOLDER = uuid.UUID(int=0)

    def __init__(self, name: str) -> None:
        self._url = reverse(name, args=[self._PLACEHOLDER])

    def __call__(self, pk: uuid.UUID) -> str:
        return self._url.replace(str(self._PLACEHOLDER), str(pk))
