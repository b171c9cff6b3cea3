"""A scored run of the demo set in a temp folder, and a workbench server over it."""

from __future__ import annotations

import shutil
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import ringlens

    out = tmp_path_factory.mktemp("serve") / "run"
    ringlens.run(ROOT / "graphs" / "demo", out_dir=out)
    return out


@pytest.fixture
def run_copy(demo_run: Path, tmp_path: Path) -> Path:
    """A private copy of the demo run (its queue database gets written)."""
    dst = tmp_path / "run"
    shutil.copytree(demo_run, dst, symlinks=True)
    return dst


@dataclass
class Server:
    url: str
    run: Path
    thread: threading.Thread
    server: Any

    def opener(self) -> Any:
        jar = CookieJar()
        return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect())

    def get(self, path: str, opener: Any = None) -> tuple[int, str, Any]:
        op = opener or self.opener()
        try:
            with op.open(self.url + path, timeout=30) as r:
                return r.status, r.read().decode(), r.headers
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode(), e.headers

    def post(
        self, path: str, data: dict[str, Any], opener: Any, headers: dict[str, str] | None = None
    ) -> tuple[int, str, Any]:
        from urllib.parse import urlencode

        body = urlencode(data, doseq=True).encode()
        req = urllib.request.Request(
            self.url + path,
            data=body,
            headers={"Content-Type": "application/x-www-form-urlencoded", **(headers or {})},
        )
        try:
            with opener.open(req, timeout=30) as r:
                return r.status, r.read().decode(), r.headers
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode(), e.headers


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def start_server(run: Path, **kwargs: Any) -> Server:
    import uvicorn

    from ringlens.serve import bind, create_app, open_workspace

    ws = open_workspace(str(run))
    sock = bind("127.0.0.1", 0)
    port = sock.getsockname()[1]
    app = create_app(ws, reviewer="tester", **kwargs)
    server = uvicorn.Server(uvicorn.Config(app, log_level="error", lifespan="off"))
    th = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    th.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    return Server(url=f"http://127.0.0.1:{port}", run=run, thread=th, server=server)


@pytest.fixture
def server(run_copy: Path) -> Iterator[Server]:
    s = start_server(run_copy)
    yield s
    s.server.should_exit = True
    s.thread.join(timeout=10)
    s.server.config.app.state.workspace.close()
