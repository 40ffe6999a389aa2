"""What the base layout shows around every page: the navigation for the user's role
in the active clinic, the clinics they may switch to, and the idle timeout."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.functional import SimpleLazyObject

from clinic.accounts.middleware import idle_timeout_seconds
from clinic.messaging.selectors import INBOX_COUNT_ATTRIBUTE, inbox_count
from clinic.voice import selectors as voice_selectors
from tenancy.session import switchable_memberships


@dataclass(frozen=True)
class NavItem:
    label: str
    # The first name that resolves wins; an item with none is left out, so pages that
    # do not exist yet never break the layout.
    url_names: tuple[str, ...]
    managers_only: bool = False
    # A count shown after the label (see `badges` in shell()), and what it counts.
    badge: str = ""
    badge_hint: str = ""


NAV_ITEMS = (
    NavItem("Schedule", ("schedule:day",)),
    NavItem("Patients", ("patients:list",)),
    NavItem("SMS", ("sms:log",), badge="sms_inbox_count", badge_hint="texts waiting in the inbox"),
    NavItem("Calls", ("calls:inbox",), badge="calls_inbox_count", badge_hint="voicemails waiting"),
    NavItem("Calendars", ("calendars:list",)),
    NavItem("Providers & types", ("setup:index",), managers_only=True),
    NavItem("Members", ("accounts:members",), managers_only=True),
    NavItem("API keys", ("api_keys:list",), managers_only=True),
    NavItem("Webhooks", ("webhooks:list",), managers_only=True),
    NavItem("Audit", ("audit:list",), managers_only=True),
    NavItem("Security", ("accounts:security",), managers_only=True),
)


@dataclass(frozen=True)
class NavLink:
    label: str
    url: str
    current: bool
    badge: object = None
    badge_hint: str = ""


def _first_url(names: tuple[str, ...]) -> str | None:
    # Reversed once per URL configuration and prefix, not on every page: a dozen
    # reverses were a tenth of a short page's time.
    return _first_url_in(names, get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())


@functools.lru_cache(maxsize=256)
def _first_url_in(names: tuple[str, ...], urlconf: str, prefix: str) -> str | None:
    for name in names:
        try:
            return reverse(name, urlconf=urlconf)
        except NoReverseMatch:
            continue
    return None


def _is_current(path: str, url: str) -> bool:
    return path == url if url == "/" else path.startswith(url)


def nav_links(request: HttpRequest, badges: dict | None = None) -> list[NavLink]:
    membership = getattr(request, "membership", None)
    if membership is None:
        return []
    badges = badges or {}
    links = []
    for item in NAV_ITEMS:
        if item.managers_only and not membership.can_manage:
            continue
        url = _first_url(item.url_names)
        if url is not None:
            badge = badges.get(item.badge) if item.badge else None
            links.append(NavLink(item.label, url, _is_current(request.path, url), badge, item.badge_hint))
    if request.user.is_staff and membership.can_manage:
        url = reverse("admin:index")
        links.append(NavLink("Admin", url, _is_current(request.path, url)))
    return links


def shell(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    badges = _badges(request)
    return {
        **badges,
        "nav_links": nav_links(request, badges),
        # Lazy: read only when the header is rendered, and then from the memberships
        # the tenant middleware read (no query) when there is an active clinic.
        "switchable_memberships": SimpleLazyObject(lambda: switchable_memberships(request)),
        "idle_timeout_seconds": idle_timeout_seconds(),
    }


def _badges(request: HttpRequest) -> dict:
    """Counts for the navigation (and the pages that repeat them). Lazy and shared:
    one cheap query each, run only when a page shows it, and at most once."""
    if getattr(request, "membership", None) is None:
        return {}
    return {
        "sms_inbox_count": SimpleLazyObject(lambda: _inbox_count(request)),
        "calls_inbox_count": SimpleLazyObject(lambda: _calls_count(request)),
    }


def _inbox_count(request: HttpRequest) -> int:
    # The inbox page counts the same texts for its pages, after its own changes; else
    # the tenant middleware read the count with the membership (membership_figures).
    known = getattr(request, INBOX_COUNT_ATTRIBUTE, None)
    if known is None:
        known = getattr(request.membership, INBOX_COUNT_ATTRIBUTE, None)
    return inbox_count() if known is None else known


def _calls_count(request: HttpRequest) -> int:
    # As _inbox_count: the calls page's own count, else the one read with the membership.
    known = getattr(request, voice_selectors.INBOX_COUNT_ATTRIBUTE, None)
    if known is None:
        known = getattr(request.membership, voice_selectors.INBOX_COUNT_ATTRIBUTE, None)
    return voice_selectors.inbox_count() if known is None else known
