"""The workbench in headless Chromium: a reviewer's story end to end, script payloads in
every data field on every page, the CSRF and access-token guards, and no request that
leaves the machine.

Skipped when ``chromium`` is not on PATH, unless ``RINGLENS_REQUIRE_BROWSER=1`` (CI).
"""

from __future__ import annotations

import json
import re
import socket
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import polars as pl
import pytest

from ringlens.export import open_queue_store

from ._hostile import HOSTILE_TYPE, PAYLOADS, PWNED, RUN_ID, build_hostile_run
from .conftest import ROOT, Facts, Server, Tab, start_server, stop_server

pytestmark = pytest.mark.browser

DRAWN = "html[data-drawn]"


def wait_drawn(page: Any) -> None:
    page.wait_for_selector(DRAWN, state="attached", timeout=60_000)


def node_index(page: Any, key: str) -> int:
    return page.evaluate(
        "(key) => ringlensNetwork.body.data.nodes.getIds().find("
        "  (id) => JSON.parse(document.getElementById('rl-data').textContent).info[id][0] === key)",
        key,
    )


def node_keys(page: Any) -> set[str]:
    return set(
        page.evaluate(
            "() => { const info = JSON.parse(document.getElementById('rl-data').textContent).info;"
            " return ringlensNetwork.body.data.nodes.getIds().map((i) => info[i] ? info[i][0] : null); }"
        )
    )


def click_node(page: Any, node_id: int) -> None:
    page.evaluate(
        "(id) => { ringlensNetwork.focus(id, {scale: ringlensNetwork.getScale()}); }", node_id
    )  # centre it: nothing covers it
    x, y = page.evaluate(
        """(id) => {
            const n = window.ringlensNetwork;
            const p = n.canvasToDOM(n.getPosition(id));
            const r = document.getElementById('rl-graph').getBoundingClientRect();
            return [p.x + r.left, p.y + r.top];
        }""",
        node_id,
    )
    page.mouse.click(x, y)


def column(page: Any, table: str, header: str) -> list[str]:
    """The cells of one column of a table, by its header text."""
    return page.evaluate(
        """([table, header]) => {
            const t = document.querySelector(table);
            const hs = Array.from(t.querySelectorAll('thead th')).map((h) => h.textContent.trim());
            const i = hs.indexOf(header);
            if (i < 0) { throw new Error('no column ' + header + ' in ' + hs); }
            return Array.from(t.querySelectorAll('tbody tr')).map((r) => r.cells[i].textContent);
        }""",
        [table, header],
    )


# --------------------------------------------------------------------------- the story
def test_reviewer_story(server: Server, facts: Facts, tab: Any, tmp_path: Path) -> None:
    """Open the queue, filter by market, search an entity, open its ring, read the
    timeline, expand a node, set the ring to actioned with a note; the database and the
    audit table show it, a re-run keeps it, the next run's labels include it."""
    t: Tab = tab(server.url)
    page = t.page
    resp = page.goto(server.url + "/")
    assert resp.status == 200
    assert page.inner_text("#rl-count").startswith(f"{facts.total:,} items")

    # say who I am (kept in a cookie; every verdict is recorded under it)
    page.fill("#rl-reviewer", "alice")
    with page.expect_navigation():
        page.press("#rl-reviewer", "Enter")
    assert page.input_value("#rl-reviewer") == "alice"

    # filter by market
    page.select_option("#rl-f-market", facts.market)
    with page.expect_navigation():
        page.click("#rl-apply")
    assert f"market={facts.market}" in page.url
    assert page.inner_text("#rl-count").startswith(f"{facts.market_items:,} items")
    assert set(column(page, "#rl-queue-table", "market")) == {facts.market}

    # search an entity by its display name
    page.fill("#rl-global-search", facts.name)
    with page.expect_navigation():
        page.press("#rl-global-search", "Enter")
    if "/search" in page.url:  # several matches: pick it from the list
        with page.expect_navigation():
            page.get_by_role("link", name=facts.named, exact=True).click()
    wait_drawn(page)
    assert page.url.startswith(server.url + "/entity/")
    assert facts.named in page.inner_text("#rl-title")

    # open its ring
    assert page.inner_text("#rl-member-of") == f"Member of ring {facts.top}"
    with page.expect_navigation():
        page.click("#rl-member-of a")
    wait_drawn(page)
    assert facts.top in page.inner_text("#rl-title")
    members = column(page, "#rl-members-table", "member")
    assert sorted(members) == facts.top_members
    for action in facts.top_actions:
        assert action in page.inner_text("#rl-policy")

    # read the timeline: a row per target the members share, the detected bursts shaded
    timeline = page.locator("#rl-timeline svg")
    assert timeline.count() == 1
    assert facts.timeline_target in timeline.text_content()
    bursts = page.locator("#rl-timeline rect.burst").count()
    assert bursts > 0 or not facts.top_lockstep

    # expand a node: the key target's neighbours come from the events
    before = node_keys(page)
    click_node(page, node_index(page, facts.key_target))
    page.wait_for_selector("#rl-tip:not([hidden])")
    run_id = json.loads(page.text_content("#rl-data"))["expand"]["params"]["run"]
    page.click("#rl-expand")
    page.wait_for_selector("#rl-tip button#rl-expand:text-is('expanded')")
    got = json.loads(
        server.get("/api/expand?" + urlencode({"key": facts.key_target, "run": run_id}))[1]
    )
    new = [n for n in got["nodes"] if n["key"] not in before]
    added = page.evaluate(
        "(n) => ringlensNetwork.body.data.nodes.get({filter: (x) => x.id >= n})"
        ".map((x) => x.label)",
        len(before),
    )
    short = [n["label"] if len(n["label"]) <= 40 else n["label"][:39] + "…" for n in new]
    assert len(new) > 0 and sorted(added) == sorted(short)
    note = page.inner_text("#rl-expand-note")
    assert note.startswith(f"expanded {facts.key_target}: {len(new)} new nodes")

    # the verdict: the whole ring, actioned, with a note
    page.check("#rl-verdict-form input[name=scope][value=ring]")
    page.select_option("#rl-verdict-status", "actioned")
    page.fill("#rl-verdict-note", "affiliate fraud confirmed: same creator, same hours")
    with page.expect_navigation():
        page.click("#rl-verdict-go")
    wait_drawn(page)
    assert "done=" in page.url
    assert set(column(page, "#rl-items", "status")) == {"actioned"}
    assert set(column(page, "#rl-ring-history", "who")) == {"alice"}
    assert set(column(page, "#rl-ring-history", "to")) >= {"actioned"}

    # the database and its audit table
    with open_queue_store(server.run / "queue.sqlite") as st:
        items = st.read().filter(pl.col("ring_id") == facts.top)
        h = st.history(ring_id=facts.top)
    assert items.height == facts.top_items and set(items["status"]) == {"actioned"}
    status_rows = h.filter(pl.col("field") == "status")
    assert status_rows.height == facts.top_items
    assert set(status_rows["actor"]) == {"alice"} and set(status_rows["new_value"]) == {"actioned"}
    assert set(h["note"]) == {"affiliate fraud confirmed: same creator, same hours"}

    # the history page shows it
    page.goto(server.url + "/history?" + urlencode({"ring": facts.top}))
    assert column(page, "#rl-history", "who").count("alice") == h.height

    # a re-run keeps the verdict, and the workbench shows the new run
    import ringlens

    ringlens.run(ROOT / "graphs" / "demo", out_dir=server.run)
    with open_queue_store(server.run / "queue.sqlite") as st:
        again = st.read().filter(pl.col("ring_id") == facts.top)
        labels = st.verdicts_as_labels()
        runs = st.runs()
    assert runs.height == 2 and set(again["status"]) == {"actioned"}
    page.goto(server.url + "/ring/" + facts.top)
    wait_drawn(page)
    assert set(column(page, "#rl-items", "status")) == {"actioned"}

    # the next run's labels include it: every member confirmed
    confirmed = labels.filter(pl.col("label") == "confirmed")
    keys = set(confirmed["entity_type"] + ":" + confirmed["entity_id"])
    assert keys >= set(items["entity_type"] + ":" + items["entity_id"])
    t.assert_clean()


# --------------------------------------------------------------------------- XSS
INERT = """() => {
    const all = Array.from(document.querySelectorAll('*'));
    return {
        handlers: all.filter((e) => Array.from(e.attributes).some((a) => a.name.startsWith('on'))).length,
        embeds: document.querySelectorAll('img, iframe, object, embed, frame, base, meta[http-equiv=refresh]').length,
        svgs: document.querySelectorAll('svg').length,
        ownSvgs: document.querySelectorAll('#rl-timeline svg').length,
        scripts: Array.from(document.scripts).map((s) => s.type || 'js'),
        badLinks: Array.from(document.querySelectorAll('a[href], form[action]')).map(
            (a) => new URL(a.getAttribute('href') || a.getAttribute('action'), location.href).href
        ).filter((u) => !u.startsWith(location.origin + '/')),
        title: document.title,
    };
}"""


def assert_inert(page: Any, *, scripts: list[str], texts: list[str]) -> None:
    """Nothing the data said became markup, a handler, a script, or a link elsewhere;
    the payloads show as text."""
    got = page.evaluate(INERT)
    assert got["handlers"] == 0 and got["embeds"] == 0, got
    assert got["svgs"] == got["ownSvgs"], got  # only the timeline's own SVG
    assert got["scripts"] == scripts, got
    assert got["badLinks"] == [], got
    assert got["title"] != PWNED  # what every payload would set
    body = page.text_content("body")
    for text in texts:
        assert text in body, text


VIEW_SCRIPTS = ["application/json", "js", "js"]


def test_payloads_in_every_field_stay_inert(tmp_path: Path, tab: Any) -> None:
    run = tmp_path / "hostile"
    made = build_hostile_run(run)
    s = start_server(run)
    try:
        t: Tab = tab(s.url)
        page = t.page
        # every page fetched with a hostile reviewer name in its cookie
        page.goto(s.url + "/")
        page.fill("#rl-reviewer", PAYLOADS[2])
        with page.expect_navigation():
            page.press("#rl-reviewer", "Enter")
        assert page.input_value("#rl-reviewer") == PAYLOADS[2]

        # queue: ids, names, rings, patterns, actions, queues, markets, statuses,
        # assignees, reasons, run ids
        assert_inert(page, scripts=["js"], texts=PAYLOADS + [RUN_ID, HOSTILE_TYPE])
        page.select_option("#rl-f-market", made["market"])
        with page.expect_navigation():
            page.click("#rl-apply")
        assert page.inner_text("#rl-count").startswith("2 items")  # 2 of 7 have that market
        assert_inert(page, scripts=["js"], texts=[made["market"]])
        for value in (PAYLOADS[0], PAYLOADS[3]):  # the pattern and action filters
            page.goto(s.url + "/")
            page.select_option("#rl-f-pattern", value) if value == PAYLOADS[0] else (
                page.select_option("#rl-f-action", value)
            )
            with page.expect_navigation():
                page.click("#rl-apply")
            assert page.inner_text("#rl-count").startswith("6 items")
            assert_inert(page, scripts=["js"], texts=[value])

        # search: by a payload in names, ids and ring ids
        for q in (PAYLOADS[0], "script", PAYLOADS[3]):
            page.goto(s.url + "/search?" + urlencode({"q": q}))
            wait = page.locator(DRAWN).count()  # a single hit redirects to a view
            assert_inert(
                page, scripts=VIEW_SCRIPTS if wait or "/search" not in page.url else [], texts=[]
            )

        # both rings: title, pattern, reasons, members table, timeline, evidence, verdict
        # form, history (reviewer names, assignees, notes), policy (action, queue)
        for ring_id in made["rings"]:
            resp = page.goto(s.url + "/ring/" + quote(ring_id, safe=""))
            assert resp.status == 200
            wait_drawn(page)
            assert ring_id in page.inner_text("#rl-title")
            assert_inert(page, scripts=VIEW_SCRIPTS, texts=[ring_id])
        page.goto(s.url + "/ring/" + quote(made["rings"][0], safe=""))
        wait_drawn(page)
        body = page.text_content("body")
        for p in PAYLOADS:
            assert p in body, p
        assert page.locator("#rl-timeline rect.burst").count() == 1  # the run's own burst
        # every node's tooltip, then an expansion with hostile labels, and its tooltips
        for key in made["members"]:
            click_node(page, node_index(page, key))
            page.wait_for_selector("#rl-tip:not([hidden])")
            assert key in page.text_content("#rl-tip")
            page.click("#rl-tip button.close")
        n0 = page.evaluate("ringlensNetwork.body.data.nodes.length")
        click_node(page, node_index(page, "product:plain"))
        page.wait_for_selector("#rl-tip:not([hidden])")
        page.click("#rl-expand")
        page.wait_for_selector("#rl-tip button#rl-expand:text-is('expanded')")
        n1 = page.evaluate("ringlensNetwork.body.data.nodes.length")
        assert n1 - n0 == 8  # the organic buyers, named with payloads
        links: list[str] = []
        for i in range(n0, n1):
            page.click("#rl-tip button.close")
            click_node(page, i)
            page.wait_for_selector("#rl-tip:not([hidden])")
            assert "buyer:o" in page.text_content("#rl-tip")
            links += page.eval_on_selector_all("#rl-tip a", "as => as.map((a) => a.href)")
            assert_inert(page, scripts=VIEW_SCRIPTS, texts=[])
        # the two of another ring link to it (a URL of this server, the id escaped)
        assert (
            links
            == [
                s.url
                + "/ring/"
                + quote(made["rings"][1], safe="")
                + "?"
                + urlencode({"run": RUN_ID})
            ]
            * 2
        )
        assert_inert(page, scripts=VIEW_SCRIPTS, texts=PAYLOADS)

        # an entity of a hostile type and id
        page.goto(s.url + "/entity/" + quote(made["members"][-1], safe=""))
        wait_drawn(page)
        assert_inert(page, scripts=VIEW_SCRIPTS, texts=[made["members"][-1], made["rings"][0]])
        with page.expect_navigation():
            page.click("#rl-member-of a")
        wait_drawn(page)
        assert made["rings"][0] in page.inner_text("#rl-title")

        # history: actors, fields, values, notes; one item's
        page.goto(s.url + "/history")
        assert_inert(page, scripts=[], texts=PAYLOADS[:5])
        page.goto(s.url + "/history?" + urlencode({"item": made["items"][0]}))
        assert_inert(page, scripts=[], texts=[made["items"][0], PAYLOADS[1]])
        with page.expect_navigation():
            page.goto(s.url + "/item/" + quote(made["items"][0], safe=""))
        wait_drawn(page)

        # error pages that echo what was asked for
        for path, code in (
            ("/ring/" + quote(PAYLOADS[0], safe=""), 404),
            ("/entity/" + quote("buyer:x" + PAYLOADS[1], safe=""), 404),
            ("/entity/" + quote(PAYLOADS[2], safe=""), 404),
            ("/item/" + quote(PAYLOADS[4], safe=""), 404),
            ("/?" + urlencode({"status": PAYLOADS[1]}), 400),
            ("/?" + urlencode({"sort": PAYLOADS[0]}), 400),
            ("/?" + urlencode({"risk_min": PAYLOADS[2]}), 400),
            (
                "/ring/"
                + quote(made["rings"][0], safe="")
                + "?"
                + urlencode({"from": PAYLOADS[3]}),
                400,
            ),
            (
                "/ring/" + quote(made["rings"][0], safe="") + "?" + urlencode({"run": PAYLOADS[0]}),
                404,
            ),
        ):
            resp = page.goto(s.url + path)
            assert resp.status == code, (path, resp.status)
            assert_inert(page, scripts=[], texts=[])
            assert "Traceback" not in page.text_content("body")
        t.assert_clean()
    finally:
        stop_server(s)


# --------------------------------------------------------------------------- guards
def test_a_write_without_the_csrf_token_is_refused(server: Server, facts: Facts, tab: Any) -> None:
    t: Tab = tab(server.url)
    page = t.page
    ring = server.url + "/ring/" + facts.top
    page.goto(ring)
    wait_drawn(page)
    # the form without its token
    page.evaluate("() => document.querySelector('#rl-verdict-form input[name=csrf]').remove()")
    page.select_option("#rl-verdict-status", "dismissed")
    with page.expect_navigation() as nav:
        page.click("#rl-verdict-go")
    assert nav.value.status == 403 and "CSRF" in page.text_content("body")
    # a guessed token
    page.goto(ring)
    wait_drawn(page)
    page.evaluate(
        "() => { document.querySelector('#rl-verdict-form input[name=csrf]').value = 'x'.repeat(32); }"
    )
    page.select_option("#rl-verdict-status", "dismissed")
    with page.expect_navigation() as nav:
        page.click("#rl-verdict-go")
    assert nav.value.status == 403
    # a page of another origin (another port of this machine) posting the form
    other = f"http://127.0.0.1:{free_port()}"
    evil = (
        f'<form id="f" method="post" action="{server.url}/review">'
        f'<input name="ring_id" value="{facts.top}"><input name="scope" value="ring">'
        '<input name="status" value="dismissed"><input name="since" value="0">'
        f'<input name="csrf" value="{"x" * 32}"></form>'
    )
    ctx = page.context
    ctx.route(other + "/**", lambda r: r.fulfill(status=200, content_type="text/html", body=evil))
    page.goto(other + "/evil")
    with page.expect_navigation() as nav:
        page.evaluate("() => document.getElementById('f').submit()")
    assert nav.value.status == 403 and "cross-site" in page.text_content("body")
    with open_queue_store(server.run / "queue.sqlite") as st:
        assert st.history().height == 0
        assert set(st.read()["status"]) == {"open"}
    t.outside = [u for u in t.outside if not u.startswith(other)]
    t.requests = [u for u in t.requests if not u.startswith(other)]
    t.assert_clean()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def non_loopback_address() -> str | None:
    """An IPv4 address of this machine other than loopback (Linux: /proc/net/fib_trie),
    or None. Traffic to it stays on the machine."""
    try:
        text = Path("/proc/net/fib_trie").read_text()
    except OSError:
        return None
    found = re.findall(r"\|-- (\d+\.\d+\.\d+\.\d+)\n\s+/32 host LOCAL", text)
    for a in found:
        if not a.startswith("127."):
            return a
    return None


def test_off_loopback_the_token_is_required(run_copy: Path, tab: Any) -> None:
    """Served on a non-loopback address of this machine, a request without the access
    token (or with a wrong one) is refused; with it the workbench works. Without a token
    the server refuses such a bind, and a loopback-only server refuses the client."""
    from ringlens.exceptions import ConfigError
    from ringlens.serve import check_bind

    addr = non_loopback_address()
    if addr is None:
        pytest.skip("this machine has no non-loopback IPv4 address")
    with pytest.raises(ConfigError, match="needs an access token"):
        check_bind(addr, None)
    # a loopback-only server reached through another address of the machine
    s = start_server(run_copy, host=addr)
    try:
        t: Tab = tab(s.url)
        resp = t.page.goto(s.url + "/")
        assert resp.status == 403 and "this machine only" in t.page.text_content("body")
    finally:
        stop_server(s)
    token = "tok-" + "k" * 28
    s = start_server(run_copy, host=addr, token=token, loopback_only=False)
    try:
        t = tab(s.url)
        page = t.page
        assert page.goto(s.url + "/").status == 401
        assert page.goto(s.url + "/?token=" + "w" * 32).status == 401
        assert page.goto(s.url + "/ring/x").status == 401
        resp = page.goto(s.url + "/?" + urlencode({"token": token, "market": "x"}))
        assert resp.status == 200 and page.url == s.url + "/?market=x"  # token not in the URL
        cookies = {c["name"]: c for c in page.context.cookies()}
        assert cookies["rl_token"]["httpOnly"] and cookies["rl_token"]["sameSite"] == "Strict"
        assert page.goto(s.url + "/history").status == 200
        assert token not in page.content()
        t.assert_clean()
    finally:
        stop_server(s)


def test_a_selection_from_the_queue(server: Server, facts: Facts, tab: Any) -> None:
    """Tick two items of the queue, dismiss them with a note: those two and only those."""
    t: Tab = tab(server.url)
    page = t.page
    page.goto(server.url + "/?" + urlencode({"market": facts.market}))
    page.fill("#rl-reviewer", "carol")
    with page.expect_navigation():
        page.press("#rl-reviewer", "Enter")
    boxes = page.locator('#rl-queue-table input[name="qid"]')
    chosen = [boxes.nth(0).get_attribute("value"), boxes.nth(3).get_attribute("value")]
    for qid in chosen:
        page.check(f'#rl-queue-table input[name="qid"][value="{qid}"]')
    page.select_option("#rl-bulk-status", "dismissed")
    page.fill("#rl-bulk input[name=note]", "seasonal sale, not a ring")
    with page.expect_navigation():
        page.click("#rl-bulk-go")
    assert f"market={facts.market}" in page.url  # back to the same filtered page
    with open_queue_store(server.run / "queue.sqlite") as st:
        items = st.read()
        h = st.history()
    dismissed = items.filter(pl.col("status") == "dismissed")["queue_item_id"].to_list()
    assert sorted(dismissed) == sorted(chosen)
    assert set(h["queue_item_id"]) == set(chosen) and set(h["actor"]) == {"carol"}
    assert set(h["note"]) == {"seasonal sale, not a ring"}
    t.assert_clean()
