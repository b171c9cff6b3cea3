"""The workbench over HTTP: pages, filters, verdicts with their audit, guards, bad input."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from ringlens.export import open_queue_store

from .conftest import Facts, Server


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    assert m, "no CSRF field in the page"
    return m.group(1)


def since_of(html: str) -> str:
    m = re.search(r'name="since" value="(\d+)"', html)
    assert m
    return m.group(1)


def test_queue_filters_sort_and_pages(server: Server, facts: Facts) -> None:
    from ringlens.serve import PAGE_SIZE

    status, html, headers = server.get("/")
    assert status == 200 and f"{facts.total:,} items" in html
    assert f"page 1 of {facts.pages:,}" in html
    csp = headers["content-security-policy"]
    assert (
        "default-src 'none'" in csp
        and "script-src 'sha256-" in csp
        and "unsafe-inline" not in csp.split("style-src")[0]
    )
    status, html, _ = server.get(f"/?market={facts.market}&sort=risk")
    assert status == 200 and f"{facts.market_items:,} items" in html
    rows = re.findall(r'<td class="num">(\d+\.\d)</td>', html)
    assert len(rows) == min(facts.market_items, PAGE_SIZE)
    assert rows == sorted(rows, key=float, reverse=True)
    markets = re.findall(r"<td>([A-Z]{2})</td>\n<td class=\"status\">", html)
    assert set(markets) == {facts.market}
    status, html, _ = server.get(f"/?action={facts.action}")
    assert f"{facts.action_items:,} items" in html
    status, html, _ = server.get(f"/?page={facts.pages}")
    assert status == 200 and f"page {facts.pages} of {facts.pages}" in html
    last = facts.total - (facts.pages - 1) * PAGE_SIZE
    assert html.count('<input type="checkbox" name="qid"') == last
    status, html, _ = server.get(f"/?page={facts.pages + 1}")
    assert status == 400 and "past the last page" in html


@pytest.mark.parametrize(
    "path, code, text",
    [
        ("/?page=abc", 400, "whole number"),
        ("/?page=0", 400, "whole number"),
        ("/?risk_min=abc", 400, "must be a number"),
        ("/?status=confirmed", 400, "unknown status"),
        ("/?sort=risk;drop", 400, "unknown sort"),
        ("/?stale=maybe", 400, "yes or no"),
        ("/ring/ring_nope", 404, "unknown ring"),
        ("/entity/buyer:nobody", 404, "unknown entity"),
        ("/item/q_nope", 404, "unknown queue item"),
        ("/ring/{top}?from=yesterday", 400, "date or time"),
        ("/api/expand?key=nokey", 400, "node key"),
    ],
)
def test_bad_input_gets_a_plain_page(
    server: Server, facts: Facts, path: str, code: int, text: str
) -> None:
    status, html, _ = server.get(path.format(top=facts.top))
    assert status == code and text in html
    assert "Traceback" not in html and 'File "' not in html


def test_search_ring_entity_expand(server: Server, facts: Facts) -> None:
    import json
    from urllib.parse import quote, urlencode

    # a display name finds its entity (straight to it when it is the only match)
    status, html, headers = server.get("/search?" + urlencode({"q": facts.name}))
    if status == 303:
        assert headers["location"].startswith("/entity/" + quote(facts.named, safe=""))
    else:
        assert status == 200 and facts.named in html
        for key in facts.name_hits:
            assert key in html
    # a ring id goes straight to the ring
    status, _, headers = server.get("/search?q=" + facts.top)
    assert status == 303 and headers["location"].startswith("/ring/" + facts.top)
    status, html, _ = server.get("/ring/" + facts.top)
    assert status == 200
    assert 'id="rl-timeline"' in html
    if facts.top_lockstep:
        assert 'class="burst"' in html  # the detected bursts are shaded
    for action in facts.top_actions:
        assert action in html
    assert "Verdict" in html and f"whole ring ({facts.top_items} items)" in html
    status, html, _ = server.get("/entity/" + facts.named)
    assert status == 200 and "member of " + facts.top in html
    status, body, _ = server.get(
        "/api/expand?" + urlencode({"key": facts.key_target, "max_nodes": 5000})
    )
    data = json.loads(body)
    assert status == 200 and data["edges"]
    in_ring = {n["key"] for n in data["nodes"] if n["in_ring"]}
    assert facts.key_target_actors <= in_ring
    assert {n["ring_id"] for n in data["nodes"] if n["key"] in facts.key_target_actors} == {
        facts.top
    }


def test_verdict_for_a_ring_is_audited_kept_and_labels(server: Server, facts: Facts) -> None:
    top = facts.top
    op = server.opener()
    status, html, _ = server.get("/ring/" + top, op)
    form = {
        "csrf": csrf_of(html),
        "since": since_of(html),
        "ring_id": top,
        "scope": "ring",
        "status": "actioned",
        "assignee": "(keep)",
        "note": "affiliate fraud confirmed",
        "reviewer": "alice",
        "next": "/ring/" + top,
    }
    status, _, headers = server.post("/review", form, op)
    assert status == 303, _
    with open_queue_store(server.run / "queue.sqlite") as st:
        items = st.read().filter(pl.col("ring_id") == top)
        h = st.history(ring_id=top)
        labels = st.verdicts_as_labels()
    assert items.height == facts.top_items and set(items["status"]) == {"actioned"}
    assert set(h.filter(pl.col("field") == "status")["actor"]) == {"alice"}
    assert set(h["note"]) == {"affiliate fraud confirmed"}
    confirmed = labels.filter(pl.col("label") == "confirmed")
    assert set(confirmed["entity_type"] + ":" + confirmed["entity_id"]) == set(
        items["entity_type"] + ":" + items["entity_id"]
    )
    # a re-run keeps it
    import ringlens

    ringlens.run(Path(__file__).resolve().parents[2] / "graphs" / "demo", out_dir=server.run)
    with open_queue_store(server.run / "queue.sqlite") as st:
        again = st.read().filter(pl.col("ring_id") == top)
    assert set(again["status"]) == {"actioned"}
    # the same page submitted again is stale now: refused, nothing written
    status, html, _ = server.post("/review", form, op)
    assert status == 409 and "changed since you read it" in html


def test_csrf_and_origin_are_required(server: Server, facts: Facts) -> None:
    top = facts.top
    op = server.opener()
    _, html, _ = server.get("/ring/" + top, op)
    base = {
        "since": since_of(html),
        "ring_id": top,
        "scope": "ring",
        "status": "dismissed",
        "reviewer": "eve",
    }
    status, page, _ = server.post("/review", base, op)  # no token
    assert status == 403 and "CSRF" in page
    status, page, _ = server.post("/review", {**base, "csrf": "x" * 32}, op)
    assert status == 403
    status, page, _ = server.post(
        "/review", {**base, "csrf": csrf_of(html)}, op, {"Origin": "http://evil.example"}
    )
    assert status == 403 and "cross-site" in page
    status, page, _ = server.post(
        "/review", {**base, "csrf": csrf_of(html)}, server.opener()
    )  # no cookie
    assert status == 403
    with open_queue_store(server.run / "queue.sqlite") as st:
        assert st.history().height == 0


def _asgi_get(
    app: Any,
    path: str,
    *,
    client: str,
    host: str = "127.0.0.1:8765",
    headers: list[tuple[bytes, bytes]] = (),
) -> int:  # type: ignore[assignment]
    """One request straight into the ASGI app (no socket: nothing leaves the machine)."""
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(msg: dict[str, Any]) -> None:
        sent.append(msg)

    p, _, q = path.partition("?")
    scope = {
        "type": "http",
        "method": "GET",
        "path": p,
        "raw_path": p.encode(),
        "query_string": q.encode(),
        "headers": [(b"host", host.encode()), *headers],
        "client": (client, 5000),
        "server": ("127.0.0.1", 8765),
        "scheme": "http",
        "http_version": "1.1",
        "root_path": "",
    }
    # in a thread of its own: Playwright's sync API (the browser tests of the same session)
    # keeps an event loop running in the main thread
    t = threading.Thread(target=lambda: asyncio.run(app(scope, receive, send)))
    t.start()
    t.join(timeout=60)
    return int(sent[0]["status"])


def test_non_loopback_needs_the_token(run_copy: Path) -> None:
    from ringlens.serve import create_app, open_workspace

    ws = open_workspace(str(run_copy))
    try:
        open_app = create_app(ws, token=None, loopback_only=True)
        assert _asgi_get(open_app, "/history", client="127.0.0.1") == 200
        assert _asgi_get(open_app, "/history", client="203.0.113.9") == 403
        assert _asgi_get(open_app, "/history", client="127.0.0.1", host="evil.example:8765") == 400
        token = "t" * 24
        app = create_app(ws, token=token, loopback_only=False)
        assert _asgi_get(app, "/history", client="203.0.113.9", host="ws.example") == 401
        assert (
            _asgi_get(
                app, "/history?token=wrong" + "x" * 20, client="203.0.113.9", host="ws.example"
            )
            == 401
        )
        assert (
            _asgi_get(app, "/history?token=" + token, client="203.0.113.9", host="ws.example")
            == 303
        )
        assert (
            _asgi_get(
                app,
                "/history",
                client="203.0.113.9",
                host="ws.example",
                headers=[(b"cookie", f"rl_token={token}".encode())],
            )
            == 200
        )
        assert (
            _asgi_get(
                app,
                "/history",
                client="203.0.113.9",
                host="ws.example",
                headers=[(b"authorization", f"Bearer {token}".encode())],
            )
            == 200
        )
    finally:
        ws.close()


def _cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ringlens", *args], capture_output=True, text=True, timeout=timeout
    )


def test_cli_bad_starts_are_one_line(run_copy: Path, tmp_path: Path) -> None:
    import socket

    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    port = busy.getsockname()[1]
    try:
        cases = [
            (["serve", str(tmp_path / "nope")], "does not exist"),
            (["serve", str(run_copy), "--host", "0.0.0.0"], "needs an access token"),
            (["serve", str(run_copy), "--port", str(port)], f"port {port} on 127.0.0.1 is in use"),
            (
                ["serve", "postgresql://rev:s3cret@127.0.0.1:1/tns?connect_timeout=2"],
                "cannot connect",
            ),
            (["serve", str(tmp_path / "x.sqlite")], "does not exist"),
        ]
        newer = tmp_path / "newer.sqlite"
        import shutil
        import sqlite3

        shutil.copy(run_copy / "queue.sqlite", newer)
        with sqlite3.connect(newer) as conn:
            conn.execute("UPDATE ringlens_schema SET version = 99")
        cases.append((["serve", str(newer)], "newer than this ringlens supports"))
        other = tmp_path / "other.sqlite"
        with sqlite3.connect(other) as conn:
            conn.execute("CREATE TABLE users (id INTEGER)")
        cases.append((["serve", str(other)], "holds no ringlens queue"))
        for args, text in cases:
            r = _cli(*args)
            assert r.returncode == 2, (args, r.stderr)
            assert text in r.stderr and "Traceback" not in r.stderr, (args, r.stderr)
            assert len(r.stderr.strip().splitlines()) == 1, r.stderr
            assert "s3cret" not in r.stderr
    finally:
        busy.close()


def test_concurrent_run_upsert_and_review_keep_both(server: Server, facts: Facts) -> None:
    """A run's upsert (another process, holding the write lock) and a reviewer's verdict
    through the server: both land, neither is lost, nothing is half written."""
    top = facts.top
    db = server.run / "queue.sqlite"
    with open_queue_store(db) as st:
        q = st.read()
    big = q.select(
        *[
            c
            for c in q.columns
            if c
            in (
                "queue_item_id",
                "entity_type",
                "entity_id",
                "ring_id",
                "pattern",
                "risk_score",
                "priority",
                "action",
                "queue",
                "reasons",
                "evidence",
                "market",
                "run_id",
            )
        ]
    )
    big = big.with_columns(pl.col("risk_score") + 1.0)
    extra = pl.concat(
        [
            big.with_columns(pl.col("queue_item_id") + f"_x{i}", ring_id=pl.lit("ring_other"))
            for i in range(400)
        ]
    )
    frame = pl.concat([big, extra])
    path = server.run.parent / "frame.parquet"
    frame.write_parquet(path)
    code = (
        "import sys, polars as pl; from ringlens.export import open_queue_store\n"
        "s = open_queue_store(sys.argv[1]); print('begin', flush=True)\n"
        "s.upsert(pl.read_parquet(sys.argv[2]), run_id='run_concurrent'); print('done', flush=True)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(db), str(path)], stdout=subprocess.PIPE, text=True
    )
    op = server.opener()
    _, html, _ = server.get("/ring/" + top, op)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "begin"
    form = {
        "csrf": csrf_of(html),
        "since": since_of(html),
        "ring_id": top,
        "scope": "ring",
        "status": "in_review",
        "assignee": "bob",
        "note": "looking",
        "reviewer": "bob",
        "next": "/",
    }
    results: list[int] = []
    t = threading.Thread(target=lambda: results.append(server.post("/review", form, op)[0]))
    t.start()
    assert proc.wait(timeout=120) == 0
    t.join(timeout=60)
    assert results == [303]
    with open_queue_store(db) as st:
        after = st.read()
        runs = st.runs()
        h = st.history(ring_id=top)
    ring = after.filter(pl.col("ring_id") == top)
    assert set(ring["status"]) == {"in_review"} and set(ring["assignee"]) == {"bob"}
    assert "run_concurrent" in runs["run_id"].to_list()
    assert after.height == frame.height  # every row of the run is there
    assert set(ring["last_seen_run"]) == {"run_concurrent"}  # the run's update kept
    assert h.filter(pl.col("field") == "status").height == facts.top_items


def test_ring_page_shades_the_runs_own_bursts(run_copy: Path, facts: Facts) -> None:
    """With bursts.parquet in the run, the ring page shades those bursts (the ones its
    members took part in), also inside a time filter, and finds none again itself."""
    from datetime import timedelta
    from urllib.parse import urlencode

    from ringlens.export import resolve_run
    from ringlens.viz.evidence import BURSTS_SCHEMA

    from .conftest import start_server

    ev = pl.read_parquet(Path(__file__).resolve().parents[2] / "graphs/demo/events.parquet")
    on = ev.filter(
        (pl.col("target_type") + ":" + pl.col("target_id") == facts.timeline_target)
        & (pl.col("actor_type") + ":" + pl.col("actor_id")).is_in(facts.top_members)
    ).sort("ts")["ts"]
    t0, t1 = on[0], on[-1]
    pl.DataFrame(
        {
            "family": ["lockstep_x", "lockstep_x"],
            "group": [1, 2],
            "key": [facts.timeline_target] * 2,
            "start": [t0, t0 - timedelta(days=400)],
            "end": [t1, t0 - timedelta(days=399)],
            "n_actors": [77, 78],
        },
        schema=BURSTS_SCHEMA,
    ).write_parquet(resolve_run(run_copy) / "bursts.parquet")
    s = start_server(run_copy)
    try:
        _, html, _ = s.get("/ring/" + facts.top)
        assert html.count('class="burst"') == 1 and ", 77 accounts" in html
        assert ", 78 accounts" not in html
        later = (t1 + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
        status, html, _ = s.get(f"/ring/{facts.top}?" + urlencode({"from": later}))
        assert status == 200 and 'class="burst"' not in html
    finally:
        s.server.should_exit = True
        s.thread.join(timeout=10)
        s.server.config.app.state.workspace.close()


def test_the_listening_socket_turns_nagle_off() -> None:
    """asyncio sets TCP_NODELAY only on sockets made with IPPROTO_TCP; with Nagle on,
    each keep-alive response waited ~40 ms for the browser's delayed ACK."""
    import socket

    from ringlens.serve import bind

    sock = bind("127.0.0.1", 0)
    try:
        assert sock.proto == socket.IPPROTO_TCP
    finally:
        sock.close()


def test_counts_stop_at_the_cap_and_pages_go_on(
    server: Server, facts: Facts, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ringlens.serve import PAGE_SIZE
    from ringlens.serve import app as app_mod

    assert facts.total > 60
    monkeypatch.setattr(app_mod, "COUNT_CAP", 60)
    _, html, _ = server.get("/")
    assert "60+ items · page 1\n" in html and 'id="rl-next"' in html
    _, html, _ = server.get(f"/?page={facts.pages}")  # the last page counts itself
    assert f"{facts.total:,} items · page {facts.pages} of {facts.pages}" in html
    assert 'id="rl-next"' not in html
    if facts.pages > 2:
        _, html, _ = server.get("/?page=2")
        assert "60+ items · page 2" in html or f"{facts.total:,} items" in html
        assert html.count('<input type="checkbox" name="qid"') == PAGE_SIZE
    status, html, _ = server.get(f"/?page={facts.pages + 1}")
    assert status == 400 and "past the last page" in html


def test_health_page_over_the_queue_and_runs(server: Server, facts: Facts) -> None:
    """The calibration health dashboard is a workbench page: the runs it sees, the queue's
    volume against capacity, offline (its one script allowed by hash, nothing else)."""
    import re

    from ringlens.viz.assets import own_script, script_hash

    status, html, headers = server.get("/health")
    assert status == 200, html[:500]
    assert "Verdict backlog" in html and "ringlens health" in html
    csp = headers["content-security-policy"]
    assert script_hash(own_script("report.js")) in csp and "default-src 'none'" in csp
    assert not re.search(r"""(src|href)=["']https?://""", html)  # nothing from outside
    status, queue_html, _ = server.get("/")
    assert 'href="/health"' in queue_html
