"""The provisioning QR code, drawn here as SVG: the secret never leaves the server
for a QR service, and the page needs no image request or script."""

from __future__ import annotations

import qrcode
import qrcode.image.svg


def qr_svg(data: str, *, label: str) -> str:
    """An inline <svg> (no style attributes: the page's CSS sizes it)."""
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, border=2)
    svg = image.to_string(encoding="unicode")
    return svg.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1)
