"""A scored run of the demo set in a temp folder, what the tests expect of it (read from
the run itself, so they follow any change of the detectors), and a workbench server."""

from __future__ import annotations

import math
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

import polars as pl
import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import ringlens

    out = tmp_path_factory.mktemp("serve") / "run"
    ringlens.run(ROOT / "graphs" / "demo", out_dir=out)
    return out


@dataclass(frozen=True)
class Facts:
    """What a demo run holds, read from its own files (rings, queue, entities, events):
    the tests check the workbench against these, never against today's detector output."""

    total: int  # queue items
    pages: int  # queue pages at PAGE_SIZE
    top: str  # the riskiest ring with queue items
    top_pattern: str
    top_members: list[str]
    top_items: int  # its queue items
    top_actions: list[str]  # the policy's actions on its items
    top_lockstep: bool  # flagged for bursts (a lockstep or synchrony reason)
    market: str  # the market with most items, and how many
    market_items: int
    action: str  # the action with fewest items, and how many
    action_items: int
    named: str  # a member of the top ring with a display name ...
    name: str  # ... that name
    name_hits: frozenset[str]  # entity keys whose key or display name contains it
    timeline_target: str  # the first row of the top ring's timeline (most member actions)
    key_target: str  # the target most members of the top ring acted on, of those others act on ...
    key_target_actors: frozenset[str]  # ... and those members
    other_ring: str  # another ring with queue items


def read_facts(run: Path) -> Facts:
    from ringlens.serve import PAGE_SIZE

    rings = pl.read_parquet(run / "rings.parquet")
    queue = pl.read_parquet(run / "queue.parquet")
    entities = pl.read_parquet(run / "entities.parquet")
    queued = rings.join(
        queue.group_by("ring_id").agg(pl.len().alias("n"), pl.col("action").unique().sort()),
        on="ring_id",
    ).sort(["risk_score", "ring_id"], descending=[True, False])
    assert queued.height >= 2, "the demo run should queue at least two rings"
    top = queued.row(0, named=True)
    members = sorted(top["members"])
    by_market = (
        queue.drop_nulls("market").group_by("market").len().sort(["len", "market"], descending=True)
    )
    by_action = queue.group_by("action").len().sort(["len", "action"])
    named = (
        entities.filter(pl.col("key").is_in(members) & pl.col("display_name").is_not_null())
        .sort("key")
        .row(0, named=True)
    )
    name = named["display_name"]
    low = name.lower()
    hits = entities.filter(
        pl.col("key").str.to_lowercase().str.contains(low, literal=True)
        | pl.col("display_name").str.to_lowercase().str.contains(low, literal=True)
    )["key"]
    ev = pl.read_parquet(ROOT / "graphs" / "demo" / "events.parquet").select(
        (pl.col("actor_type") + ":" + pl.col("actor_id")).alias("actor"),
        (pl.col("target_type") + ":" + pl.col("target_id")).alias("target"),
    )
    # a target others act on too, so that expanding it in the ring view shows new nodes
    # (a brushed product whose every buyer is in the ring has nothing to add)
    outside = ev.filter(~pl.col("actor").is_in(members)).select("target").unique()
    on_target = (
        ev.filter(pl.col("actor").is_in(members))
        .join(outside, on="target", how="semi")
        .group_by("target")
        .agg(pl.col("actor").unique())
        .with_columns(pl.col("actor").list.len().alias("n"))
        .sort(["n", "target"], descending=[True, False])
        .row(0, named=True)
    )
    # the ring timeline's first row: of the targets two members or more hit, the one
    # with most member actions (ties: by key)
    timeline_target = (
        ev.filter(pl.col("actor").is_in(members))
        .group_by("target")
        .agg(pl.col("actor").n_unique().alias("n"), pl.len().alias("actions"))
        .filter(pl.col("n") >= 2)
        .sort(["actions", "target"], descending=[True, False])
        .row(0, named=True)["target"]
    )
    return Facts(
        total=queue.height,
        pages=max(1, math.ceil(queue.height / PAGE_SIZE)),
        top=top["ring_id"],
        top_pattern=top["pattern"],
        top_members=members,
        top_items=top["n"],
        top_actions=list(top["action"]),
        top_lockstep=any(
            r.startswith("lockstep") or r == "synchronised_activity" for r in top["reasons"]
        ),
        market=by_market["market"][0],
        market_items=by_market["len"][0],
        action=by_action["action"][0],
        action_items=by_action["len"][0],
        named=named["key"],
        name=name,
        name_hits=frozenset(hits.to_list()),
        timeline_target=timeline_target,
        key_target=on_target["target"],
        key_target_actors=frozenset(on_target["actor"]),
        other_ring=queued["ring_id"][1],
    )


@pytest.fixture(scope="session")
def facts(demo_run: Path) -> Facts:
    return read_facts(demo_run)


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


def start_server(run: Path, *, host: str = "127.0.0.1", **kwargs: Any) -> Server:
    import uvicorn

    from ringlens.serve import bind, create_app, open_workspace

    ws = open_workspace(str(run))
    sock = bind(host, 0)
    port = sock.getsockname()[1]
    app = create_app(ws, reviewer="tester", **kwargs)
    server = uvicorn.Server(uvicorn.Config(app, log_level="error", lifespan="off"))
    th = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    th.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    return Server(url=f"http://{host}:{port}", run=run, thread=th, server=server)


@pytest.fixture
def server(run_copy: Path) -> Iterator[Server]:
    s = start_server(run_copy)
    yield s
    s.server.should_exit = True
    s.thread.join(timeout=10)
    s.server.config.app.state.workspace.close()


def stop_server(s: Server) -> None:
    s.server.should_exit = True
    s.thread.join(timeout=10)
    s.server.config.app.state.workspace.close()


# --------------------------------------------------------------------------- browser
@dataclass
class Tab:
    """A page of a fresh browser context whose every request is routed: requests to
    ``origin`` go through, anything else is aborted and recorded."""

    page: Any
    origin: str
    outside: list[str]
    dialogs: list[str]
    errors: list[str]
    requests: list[str]

    def assert_clean(self) -> None:
        assert self.outside == [], f"requests left for other hosts: {self.outside}"
        assert all(u.startswith(self.origin + "/") for u in self.requests), self.requests
        assert self.dialogs == [], f"a dialog fired: {self.dialogs}"
        assert self.errors == [], f"page or console errors: {self.errors}"


@pytest.fixture
def tab(browser: Any) -> Iterator[Any]:
    contexts: list[Any] = []

    def open_tab(origin: str) -> Tab:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        contexts.append(context)
        page = context.new_page()
        t = Tab(page, origin, [], [], [], [])

        def route(r: Any) -> None:
            url = r.request.url
            if url.startswith(origin + "/") or url == origin:
                r.continue_()
            else:
                t.outside.append(url)
                r.abort()

        context.route("**/*", route)
        page.on("request", lambda req: t.requests.append(req.url))
        page.on("dialog", lambda d: (t.dialogs.append(d.message), d.dismiss()))
        page.on("pageerror", lambda e: t.errors.append(str(e)))
        # an error page's own status is logged as "Failed to load resource: … status of
        # 404"; the tests check statuses themselves
        page.on(
            "console",
            lambda m: (
                t.errors.append(m.text)
                if m.type == "error" and "the server responded with a status of 4" not in m.text
                else None
            ),
        )
        return t

    yield open_tab
    for c in contexts:
        c.close()
