"""The calibration page's one-time token: printed on the console, required on every request.

The installer opens ``http://HOST:PORT/?token=...`` once; the server answers
with a cookie carrying the same token (HttpOnly, SameSite=Strict) and a
redirect that drops the token from the address bar. Later requests carry the
cookie, or the ``X-Footfall-Token`` header (scripts, tests). Anything else is
refused with 403 and does not count as activity, so a stranger on the LAN can
neither see the camera nor keep the page alive.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Mapping
from http.cookies import CookieError, SimpleCookie
from urllib.parse import parse_qs

COOKIE_NAME = "footfall_calibration"
HEADER_NAME = "X-Footfall-Token"
QUERY_NAME = "token"
# 32 random bytes: the token is the only thing between the LAN and the camera.
_TOKEN_BYTES = 32


class SessionToken:
    """A random token made once per ``calibrate serve`` run (``secrets.token_urlsafe``).

    ``value`` may be given for tests; it must then be at least 16 characters.

    Raises:
        ValueError: a given ``value`` is shorter than 16 characters.
    """

    def __init__(self, value: str | None = None) -> None:
        if value is not None and len(value) < 16:
            raise ValueError(f"token has {len(value)} characters, should have at least 16")
        self.value = value if value is not None else secrets.token_urlsafe(_TOKEN_BYTES)

    def matches(self, candidate: str | None) -> bool:
        """Whether ``candidate`` is the token (constant-time comparison)."""
        return candidate is not None and hmac.compare_digest(candidate.encode(), self.value.encode())

    def from_query(self, query: str) -> bool:
        """Whether a URL query string (without ``?``) carries the token."""
        values = parse_qs(query).get(QUERY_NAME, [])
        return any(self.matches(v) for v in values)

    def from_headers(self, headers: Mapping[str, str]) -> bool:
        """Whether request headers carry the token, in the cookie or in ``X-Footfall-Token``."""
        if self.matches(headers.get(HEADER_NAME)):
            return True
        raw = headers.get("Cookie")
        if not raw:
            return False
        cookie: SimpleCookie = SimpleCookie()
        try:
            cookie.load(raw)
        except CookieError:
            return False
        morsel = cookie.get(COOKIE_NAME)
        return morsel is not None and self.matches(morsel.value)

    def set_cookie_header(self) -> str:
        """The ``Set-Cookie`` value that lets the browser carry the token from now on.

        No ``Max-Age``: a session cookie, gone when the browser closes; the
        token dies with the server anyway.
        """
        return f"{COOKIE_NAME}={self.value}; Path=/; HttpOnly; SameSite=Strict"
