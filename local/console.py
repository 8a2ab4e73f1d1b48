"""The provider console's static files and the headers every console page is sent with.

The console (`console/`) is plain HTML, CSS and JavaScript modules: nothing is built and nothing is loaded
from another site. It is served under the API's own origin (decision 0011): locally by the API server at
`/console/`, in AWS by the CloudFront distribution that also routes `/v1/*` to API Gateway. The only other
origin a page talks to is Cognito's, to sign in; the Content-Security-Policy allows exactly that.
"""
from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Dict, Optional, Tuple
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parent.parent / "console"
PREFIX = "/console/"
TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
         ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml", ".png": "image/png",
         ".ico": "image/x-icon", ".json": "application/json", ".webmanifest": "application/manifest+json"}
SERVED_SUFFIXES = frozenset(TYPES)


def cognito_origin(region: str, aws_endpoint_url: Optional[str] = None) -> str:
    """The origin the console signs in at: Cognito's regional endpoint, or the emulator's locally."""
    if aws_endpoint_url:
        parts = urlsplit(aws_endpoint_url)
        return f"{parts.scheme}://{parts.netloc}"
    return f"https://cognito-idp.{region}.amazonaws.com"


def content_security_policy(sign_in_origin: str) -> str:
    """The console's policy: its own scripts, styles and API, and Cognito for sign-in; nothing inline."""
    return "; ".join([
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        f"connect-src 'self' {sign_in_origin}",
        "manifest-src 'self'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


def security_headers(sign_in_origin: str) -> Dict[str, str]:
    """Headers for every console answer (CloudFront's response headers policy sends the same in AWS)."""
    return {
        "Content-Security-Policy": content_security_policy(sign_in_origin),
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
        "Permissions-Policy": "geolocation=(self), camera=(), microphone=()",
        "Cross-Origin-Opener-Policy": "same-origin",
        # Short-lived: a redeployed console reaches an open tab on its next navigation.
        "Cache-Control": "no-cache",
    }


def resolve(path: str) -> Tuple[int, Optional[Path], Optional[str]]:
    """(status, file, redirect) for a request path under /console: 200 with a file, 301 with a place, or 404."""
    path = urlsplit(path).path
    if path == "/console":
        return 301, None, PREFIX
    relative = unquote(path[len(PREFIX):]) or "index.html"
    if "\x00" in relative or "\\" in relative:
        return 404, None, None
    candidate = (ROOT / relative).resolve()
    if ROOT.resolve() not in candidate.parents or not candidate.is_file():
        return 404, None, None
    if candidate.suffix not in SERVED_SUFFIXES or any(part.startswith(".") for part in candidate.relative_to(
            ROOT.resolve()).parts):
        return 404, None, None
    return 200, candidate, None


def content_type(file: Path) -> str:
    """The Content-Type of a console file."""
    return TYPES.get(file.suffix) or mimetypes.guess_type(file.name)[0] or "application/octet-stream"
