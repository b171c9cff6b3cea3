"""``ringlens serve``: the reviewers' workbench, a local web application over the queue
database and the run folders.

* :func:`open_workspace` — what is served: the queue (SQLite or PostgreSQL) and the runs.
* :func:`create_app` — the Starlette application (queue, search, ring and entity pages,
  node expansion, verdicts with their audit trail).
* :func:`serve` — bind (loopback unless told otherwise; any other address needs an access
  token) and run it with uvicorn.

See docs/howto/review-a-ring.md and docs/views.md.
"""

from __future__ import annotations

import errno
import logging
import socket
from typing import Any

from ringlens.exceptions import ConfigError
from ringlens.serve.app import PAGE_SIZE, create_app
from ringlens.serve.security import is_loopback
from ringlens.serve.workspace import Workspace, open_workspace

__all__ = ["PAGE_SIZE", "Workspace", "bind", "create_app", "open_workspace", "serve"]

log = logging.getLogger(__name__)

#: Shortest access token accepted for a non-loopback bind.
MIN_TOKEN = 16


def check_bind(host: str, token: str | None) -> None:
    """Refuse a non-loopback bind without an access token (and a short token).

    Examples
    --------
    >>> check_bind("127.0.0.1", None)
    >>> check_bind("0.0.0.0", None)
    Traceback (most recent call last):
    ringlens.exceptions.ConfigError: --host 0.0.0.0 is not a loopback address: serving other machines needs an access token (--token or RINGLENS_SERVE_TOKEN, at least 16 characters)
    """
    if token is not None and len(token) < MIN_TOKEN:
        raise ConfigError(
            f"the access token is {len(token)} characters long (at least {MIN_TOKEN})"
        )
    if not is_loopback(host) and token is None:
        raise ConfigError(
            f"--host {host} is not a loopback address: serving other machines needs an access "
            f"token (--token or RINGLENS_SERVE_TOKEN, at least {MIN_TOKEN} characters)"
        )


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port``; a port in use or a bad address is a
    :class:`ConfigError` with one line."""
    if not 0 <= port <= 65535:
        raise ConfigError(f"--port must be from 0 to 65535, not {port}")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise ConfigError(
            f"--host {host!r} is not an address of this machine ({exc.strerror})"
        ) from None
    family, kind, proto, _, addr = infos[0]
    # with its protocol (IPPROTO_TCP), not 0: asyncio turns Nagle off (TCP_NODELAY) only on
    # such sockets; with Nagle on, every keep-alive response waited ~40 ms for an ACK
    sock = socket.socket(family, kind, proto or socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(addr)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise ConfigError(
                f"port {port} on {host} is in use (another ringlens serve?): choose another with --port"
            ) from None
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.set_inheritable(True)
    return sock


def serve(
    ws: Workspace,
    *,
    host: str = "127.0.0.1",
    port: int = 8765,
    token: str | None = None,
    reviewer: str | None = None,
    sock: socket.socket | None = None,
    log_level: str = "warning",
) -> None:
    """Run the workbench until interrupted (uvicorn, one process, worker threads for the
    database and file work)."""
    import uvicorn

    check_bind(host, token)
    sock = sock or bind(host, port)
    app = create_app(ws, token=token, loopback_only=is_loopback(host), reviewer=reviewer)
    config: Any = uvicorn.Config(
        app, log_level=log_level, access_log=False, lifespan="off", server_header=False
    )
    server = uvicorn.Server(config)
    try:
        server.run(sockets=[sock])
    finally:
        ws.close()
        sock.close()
