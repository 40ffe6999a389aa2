"""Permissions-Policy: switch off the browser features Clinic never uses.

A page of ours, or anything injected into one, then cannot turn on the camera, the
microphone, location, payments or USB devices, and no frame could either. Only
features Chromium knows are listed: it logs an error for every unknown name."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

HEADER = "Permissions-Policy"

# Every feature here is refused to every origin, ours included: "camera=()".
DISABLED_FEATURES = (
    "accelerometer",
    "autoplay",
    "browsing-topics",
    "camera",
    "display-capture",
    "encrypted-media",
    "geolocation",
    "gyroscope",
    "hid",
    "idle-detection",
    "local-fonts",
    "magnetometer",
    "microphone",
    "midi",
    "payment",
    "picture-in-picture",
    "screen-wake-lock",
    "serial",
    "usb",
    "xr-spatial-tracking",
)
POLICY = ", ".join(f"{feature}=()" for feature in DISABLED_FEATURES)


class PermissionsPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # A view that needs a feature sets its own header; it is left alone.
        response.headers.setdefault(HEADER, POLICY)
        return response
