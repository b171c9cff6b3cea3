"""The workbench's guards, as one ASGI middleware.

* **Who may connect.** Bound to loopback (the default) without a token, only loopback
  clients are served, and only under a loopback ``Host`` (a page on another site that
  resolves its own name to 127.0.0.1 — DNS rebinding — is refused). With an access token
  (required for any other bind) every request must carry it: ``?token=`` once (it becomes
  an HttpOnly, SameSite=Strict cookie and the URL is cleaned), the cookie, or an
  ``Authorization: Bearer`` header. A wrong or missing token is a 401 page.
* **CSRF.** Every state-changing request (POST) must carry the ``csrf`` form field (or an
  ``X-CSRF-Token`` header) equal to the browser's ``rl_csrf`` cookie (SameSite=Strict),
  and its ``Origin``, when sent, must be this server: else a 403 page, nothing written.
* **Headers.** A strict Content-Security-Policy (scripts only by hash, requests only to
  this server), no framing, a referrer only to this server (``same-origin``: under
  ``no-referrer`` browsers send ``Origin: null`` with the page's own form posts), no
  caching of pages.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qsl, urlencode

__all__ = ["Guard", "is_loopback", "CSRF_COOKIE", "TOKEN_COOKIE"]

CSRF_COOKIE = "rl_csrf"
TOKEN_COOKIE = "rl_token"
_LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1", "[::1]"}

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


def is_loopback(host: str | None) -> bool:
    """Whether ``host`` (an address or ``localhost``) is this machine's loopback.

    Examples
    --------
    >>> is_loopback("127.0.0.1"), is_loopback("::1"), is_loopback("0.0.0.0"), is_loopback("10.1.2.3")
    (True, True, False, False)
    """
    if host is None:
        return False
    if host.strip("[]") in ("localhost", "::1"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _cookies(scope: Scope) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    for k, v in scope.get("headers", []):
        if k == b"cookie":
            try:
                jar.load(v.decode("latin-1"))
            except Exception:  # noqa: BLE001 - a malformed cookie header is no cookie
                continue
    return {k: m.value for k, m in jar.items()}


def _hostname(host: str) -> str:
    """The name part of a Host header (``[::1]:8765`` -> ``[::1]``)."""
    if host.startswith("["):
        return host[: host.find("]") + 1]
    return host.rsplit(":", 1)[0] if ":" in host else host


def _header(scope: Scope, name: bytes) -> str | None:
    for k, v in scope.get("headers", []):
        if k == name:
            return v.decode("latin-1")
    return None


class Guard:
    """The middleware (see the module docstring)."""

    def __init__(self, app: Any, *, token: str | None, loopback_only: bool) -> None:
        self.app = app
        self.token = token
        self.loopback_only = loopback_only

    async def _plain(self, send: Send, status: int, text: str, extra: list[Any] = ()) -> None:  # type: ignore[assignment]
        body = (
            "<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>"
            f"{status}</title></head><body><h1>{status}</h1><p>{text}</p></body></html>"
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"text/html; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                    (b"content-security-policy", b"default-src 'none'"),
                    (b"x-content-type-options", b"nosniff"),
                    (b"cache-control", b"no-store"),
                    *extra,
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client = (scope.get("client") or (None, None))[0]
        host = _hostname(_header(scope, b"host") or "")
        cookies = _cookies(scope)
        if self.token is None:
            if not is_loopback(client):
                await self._plain(send, 403, "this workbench serves this machine only")
                return
            if self.loopback_only and host.lower() not in _LOOPBACK_NAMES:
                await self._plain(send, 400, "unexpected Host header (use http://127.0.0.1)")
                return
        else:
            query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
            given = query.get("token")
            auth = _header(scope, b"authorization") or ""
            bearer = auth[7:] if auth.lower().startswith("bearer ") else None
            ok = any(
                t is not None and hmac.compare_digest(t.encode(), self.token.encode())
                for t in (given, cookies.get(TOKEN_COOKIE), bearer)
            )
            if not ok:
                await self._plain(send, 401, "access token missing or wrong")
                return
            if given is not None and scope["method"] == "GET":
                rest = [
                    (k, v) for k, v in parse_qsl(scope["query_string"].decode()) if k != "token"
                ]
                location = scope["path"] + ("?" + urlencode(rest) if rest else "")
                await self._plain(
                    send,
                    303,
                    "signed in",
                    [
                        (b"location", location.encode("latin-1", "replace")),
                        (
                            b"set-cookie",
                            f"{TOKEN_COOKIE}={self.token}; Path=/; HttpOnly; SameSite=Strict".encode(),
                        ),
                    ],
                )
                return
        csrf = cookies.get(CSRF_COOKIE)
        fresh = None
        if not csrf or len(csrf) < 20:
            fresh = csrf = secrets.token_urlsafe(24)
        scope.setdefault("state", {})["csrf"] = csrf
        if scope["method"] not in ("GET", "HEAD", "OPTIONS"):
            origin = _header(scope, b"origin")
            here = _header(scope, b"host") or ""
            if origin is not None and origin not in (f"http://{here}", f"https://{here}"):
                await self._plain(send, 403, "cross-site request refused")
                return
            if fresh is not None:
                await self._plain(send, 403, "CSRF token missing: reload the page and try again")
                return
            # the form field is checked by the route (it reads the body); the header here
            sent = _header(scope, b"x-csrf-token")
            scope["state"]["csrf_header_ok"] = sent is not None and hmac.compare_digest(
                sent.encode(), csrf.encode()
            )

        trustworthy = scope.get("scheme") == "https" or host.lower() in _LOOPBACK_NAMES

        async def send_with_headers(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                extra = [
                    (b"x-content-type-options", b"nosniff"),
                    (b"x-frame-options", b"DENY"),
                    # not no-referrer: under it a browser sends "Origin: null" with the
                    # page's own form posts (Fetch standard), which are then refused
                    (b"referrer-policy", b"same-origin"),
                    (b"cache-control", b"no-store"),
                    (b"cross-origin-resource-policy", b"same-origin"),
                ]
                if trustworthy:  # browsers ignore COOP (with a console error) elsewhere
                    extra.append((b"cross-origin-opener-policy", b"same-origin"))
                headers += [(k, v) for k, v in extra if k not in names]
                if fresh is not None:
                    headers.append(
                        (
                            b"set-cookie",
                            f"{CSRF_COOKIE}={fresh}; Path=/; HttpOnly; SameSite=Strict".encode(),
                        )
                    )
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
