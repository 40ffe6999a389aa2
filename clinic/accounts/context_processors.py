"""What the base layout shows around every page: the navigation for the user's role
in the active clinic, the clinics they may switch to, and the idle timeout."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.functional import SimpleLazyObject

from clinic.accounts.middleware import idle_timeout_seconds
from tenancy.session import memberships_for


@dataclass(frozen=True)
class NavItem:
    label: str
    # The first name that resolves wins; an item with none is left out, so pages that
    # do not exist yet never break the layout.
    url_names: tuple[str, ...]
    managers_only: bool = False


NAV_ITEMS = (
    NavItem("Schedule", ("schedule:day",)),
    NavItem("Patients", ("patients:list",)),
    NavItem("Providers & types", ("setup:index",), managers_only=True),
    NavItem("Members", ("accounts:members",), managers_only=True),
    NavItem("API keys", ("api_keys:list",), managers_only=True),
)


@dataclass(frozen=True)
class NavLink:
    label: str
    url: str
    current: bool


def _first_url(names: tuple[str, ...]) -> str | None:
    for name in names:
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return None


def _is_current(path: str, url: str) -> bool:
    return path == url if url == "/" else path.startswith(url)


def nav_links(request: HttpRequest) -> list[NavLink]:
    membership = getattr(request, "membership", None)
    if membership is None:
        return []
    links = []
    for item in NAV_ITEMS:
        if item.managers_only and not membership.can_manage:
            continue
        url = _first_url(item.url_names)
        if url is not None:
            links.append(NavLink(item.label, url, _is_current(request.path, url)))
    if request.user.is_staff and membership.can_manage:
        url = reverse("admin:index")
        links.append(NavLink("Admin", url, _is_current(request.path, url)))
    return links


def shell(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "nav_links": nav_links(request),
        # Lazy: one query, and only when the header is actually rendered.
        "switchable_memberships": SimpleLazyObject(lambda: memberships_for(user)),
        "idle_timeout_seconds": idle_timeout_seconds(),
    }
