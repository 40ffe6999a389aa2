"""Search terms kept out of URLs.

What staff search patients by (a name, a birth date, phone digits) is PHI, and a URL
ends up in access logs, browser history, Referer headers and a sign-in's `?next=`. So
search forms POST their terms; the view keeps them in the server-side session under a
random key and redirects to `?s=<key>`. Paging, Back and refresh carry the key, which
means nothing outside this user's session (and nothing after signing out)."""

from __future__ import annotations

import secrets
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponseRedirect

PARAM = "s"
SESSION_KEY = "search_terms"
# The most recent searches of a session that Back can return to; older ones are dropped.
KEPT = 20


def search_redirect(request: HttpRequest, terms: dict[str, str]) -> HttpResponseRedirect:
    """After a search form's POST: to this page with the terms' key (no terms: the
    plain page). 303, so refreshing the results does not post again."""
    terms = {name: value for name, value in terms.items() if value}
    url = request.path
    if terms:
        url += "?" + urlencode({PARAM: remember(request, terms)})
    return HttpResponseRedirect(url, status=303)


def recall(request: HttpRequest) -> dict[str, str]:
    """The terms behind this request's `?s=`; none for a missing or unknown key (a
    link from another session, or one from before signing in again)."""
    return dict(request.session.get(SESSION_KEY, {}).get(request.GET.get(PARAM, ""), {}))


def remember(request: HttpRequest, terms: dict[str, str]) -> str:
    """Keep `terms` in the session; the key that recalls them."""
    searches = dict(request.session.get(SESSION_KEY, {}))
    key = secrets.token_urlsafe(9)
    searches[key] = terms
    for old in list(searches)[:-KEPT]:
        del searches[old]
    request.session[SESSION_KEY] = searches
    return key
