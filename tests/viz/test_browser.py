"""The views in real headless Chromium (Debian's ``chromium``), offline, under attack.

Skipped when ``chromium`` is not on PATH, unless ``RINGLENS_REQUIRE_BROWSER=1`` (CI).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import pytest

from ringlens.viz import ego_view, ring_view, write_run_report

from ._vizdata import (
    DRAWN,
    PAYLOADS,
    XSS,
    XSS_JS,
    XSS_SCRIPT,
    XSS_SVG,
    demo_frames,
    hostile_frames,
    hostile_report_frames,
)

pytestmark = pytest.mark.browser

COUNTS = "[ringlensNetwork.body.data.nodes.length, ringlensNetwork.body.data.edges.length]"


def node_index(page: Any, key: str) -> int:
    return page.evaluate(
        "(key) => ringlensNetwork.body.data.nodes.getIds().find("
        "  (id) => JSON.parse(document.getElementById('rl-data').textContent).info[id][0] === key)",
        key,
    )


def click_node(page: Any, node_id: int) -> None:
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


def hidden_count(page: Any, what: str) -> int:
    return page.evaluate(
        f"ringlensNetwork.body.data.{what}.get({{filter: (x) => x.hidden === true}}).length"
    )


@pytest.fixture
def demo_page(tmp_path: Path, open_page: Any) -> Any:
    nodes, edges, evidence = demo_frames()
    path = ring_view(
        nodes, edges, title="Ring ring_demo", evidence=evidence, note="showing 7 of 7 nodes"
    ).save(tmp_path / "ring_demo.html")
    return open_page(path)


def test_ring_view_draws_offline(demo_page: Any) -> None:
    page = demo_page.page
    assert page.evaluate(COUNTS) == [7, 7]
    assert page.evaluate("window.ringlensFirstDrawMs > 0")
    assert page.title() == "Ring ring_demo"
    assert page.inner_text("#rl-note") == "showing 7 of 7 nodes"
    assert "product:p1" in page.inner_text("#rl-evidence-table")
    # the canvas really has pixels drawn on it
    painted = page.evaluate(
        """() => { const c = document.querySelector('#rl-graph canvas');
                   const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                   let n = 0; for (let i = 3; i < d.length; i += 4) { if (d[i]) n++; } return n; }"""
    )
    assert painted > 500
    demo_page.assert_clean()
    assert len(demo_page.requests) == 1  # the document itself, nothing else


def test_click_shows_tooltip(demo_page: Any) -> None:
    page = demo_page.page
    click_node(page, node_index(page, "creator:c1"))
    page.wait_for_selector("#rl-tip:not([hidden])")
    text = page.inner_text("#rl-tip")
    for expected in ["Ann", "creator:c1", "creator", "92.5", "lockstep", "shared_device", "1200"]:
        assert expected in text
    page.mouse.click(
        5, page.evaluate("document.getElementById('rl-graph').getBoundingClientRect().bottom - 5")
    )
    assert page.is_hidden("#rl-tip")
    demo_page.assert_clean()


def test_search_selects_node(demo_page: Any) -> None:
    page = demo_page.page
    for query, key in [("product:p2", "product:p2"), ("lamp", "product:p2"), ("c3", "creator:c3")]:
        page.fill("#rl-search", query)
        page.press("#rl-search", "Enter")
        assert page.evaluate("ringlensNetwork.getSelectedNodes()") == [node_index(page, key)]
        assert page.inner_text("#rl-search-status") == f"found {key}"
        assert key in page.inner_text("#rl-tip")
    page.fill("#rl-search", "no-such-thing")
    page.click("#rl-search-go")
    assert page.inner_text("#rl-search-status") == "no match"


def test_filters_hide_nodes_and_edges(demo_page: Any) -> None:
    page = demo_page.page
    creator = page.locator("#rl-legend label", has_text="creator").locator("input")
    creator.uncheck()
    assert hidden_count(page, "nodes") == 3
    assert hidden_count(page, "edges") == 6  # every edge touching a creator
    assert "showing 4 of 7 nodes" in page.inner_text("#rl-visible")
    creator.check()
    assert hidden_count(page, "nodes") == 0 and hidden_count(page, "edges") == 0
    page.locator("#rl-action-filter label", has_text="login").locator("input").uncheck()
    assert hidden_count(page, "edges") == 2 and hidden_count(page, "nodes") == 0
    page.locator("#rl-action-filter label", has_text="promote").locator("input").uncheck()
    assert hidden_count(page, "edges") == 3  # "promote, review" edges stay visible
    # searching a node hidden by the type filter brings its type back
    page.locator("#rl-legend label", has_text="device").locator("input").uncheck()
    page.fill("#rl-search", "device:d1")
    page.press("#rl-search", "Enter")
    assert page.locator("#rl-legend label", has_text="device").locator("input").is_checked()
    demo_page.assert_clean()


def test_physics_button(demo_page: Any) -> None:
    page = demo_page.page
    assert page.evaluate("ringlensNetwork.physics.physicsEnabled") is False
    page.click("#rl-physics")
    assert page.inner_text("#rl-physics") == "Physics: on"
    assert page.evaluate("ringlensNetwork.physics.physicsEnabled") is True
    page.click("#rl-physics")
    assert page.evaluate("ringlensNetwork.physics.physicsEnabled") is False


def test_xss_everywhere_in_ring_view(tmp_path: Path, open_page: Any) -> None:
    nodes, edges, evidence = hostile_frames()
    title = XSS_SCRIPT + XSS
    path = ring_view(nodes, edges, title=title, note=XSS_SVG, evidence=evidence).save(
        tmp_path / "hostile.html"
    )
    opened = open_page(path)
    page = opened.page
    assert page.evaluate(COUNTS) == [nodes.height, edges.height]
    assert page.title() == title
    assert page.text_content("#rl-title") == title
    assert page.text_content("#rl-note") == XSS_SVG
    legend = page.text_content("#rl-legend")
    assert XSS in legend
    actions = page.text_content("#rl-action-filter")
    assert XSS in actions and XSS_SCRIPT in actions and XSS_SVG in actions
    table = page.text_content("#rl-evidence-table")
    assert XSS in table and XSS_SCRIPT in table and XSS_JS in table
    for i, label in enumerate(nodes["label"].to_list()):
        click_node(page, i)
        page.wait_for_selector("#rl-tip:not([hidden])")
        tip = page.text_content("#rl-tip")
        assert label in tip and nodes["key"][i] in tip
        assert XSS in tip and XSS_SCRIPT in tip  # reasons, extra column name
        assert XSS_JS in tip  # extra column value
        page.click("#rl-tip button.close")  # the pinned tooltip may cover the next node
    # search by a hostile key
    page.fill("#rl-search", nodes["key"][3])
    page.press("#rl-search", "Enter")
    assert page.evaluate("ringlensNetwork.getSelectedNodes()") == [3]
    # nothing the data said became an element or a handler
    assert page.evaluate("document.querySelectorAll('img, iframe, object, embed, a').length") == 0
    assert page.evaluate("document.querySelectorAll('svg').length") == 0
    assert page.evaluate("document.querySelectorAll('[onload], [onerror]').length") == 0
    assert page.evaluate("document.querySelectorAll('script').length") == 3
    opened.assert_clean()
    assert page.title() == title


def test_ego_view_in_browser(tmp_path: Path, open_page: Any) -> None:
    nodes, edges, _ = demo_frames()
    path = ego_view(nodes, edges, center="product:p1", hops=1, max_nodes=3).save(
        tmp_path / "ego.html"
    )
    opened = open_page(path)
    page = opened.page
    assert page.evaluate(COUNTS) == [3, 2]
    assert "left out" in page.inner_text("#rl-note")
    assert page.evaluate("ringlensNetwork.getSelectedNodes()") == [0]
    opened.assert_clean()


def test_notebook_iframe_renders(browser: Any) -> None:
    nodes, edges, _ = demo_frames()
    view = ring_view(nodes, edges, title=XSS)
    context = browser.new_context()
    try:
        page = context.new_page()
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.set_content(f"<!DOCTYPE html><title>nb</title><body>{view._repr_html_()}</body>")
        frame = page.frame_locator("iframe")
        frame.locator("#rl-title").wait_for()
        inner = page.frames[1]
        inner.wait_for_selector(DRAWN, state="attached", timeout=20_000)
        assert inner.evaluate(COUNTS) == [7, 7]
        assert inner.text_content("#rl-title") == XSS
        assert page.title() == "nb" and dialogs == []
        # sandboxed without allow-same-origin: the notebook's DOM is out of reach
        assert (
            inner.evaluate(
                "(() => { try { return !!window.parent.document; } catch (e) { return 'blocked'; } })()"
            )
            == "blocked"
        )
    finally:
        context.close()


def report_dir(tmp_path: Path) -> Path:
    rings = pl.DataFrame(
        {
            "ring_id": ["ring_b", "ring_a", "ring_c", "ring_d"],
            "pattern": ["brushing", "mutual_boost", "affiliate_fraud", "brushing"],
            "risk_score": [55.0, 91.0, 70.0, None],
            "size": [12, 4, 100, 7],
            "top_reasons": [["lockstep"], ["reciprocity"], [], ["dense"]],
        }
    )
    queue = pl.DataFrame(
        {
            "ring_id": ["ring_a", "ring_a", "ring_b"],
            "action": ["suspend", "manual_review", "monitor"],
            "market": ["DE", "FR", None],
        }
    )
    write_run_report(tmp_path / "viz" / "index.html", rings, queue, diff={"new": ["ring_a"]})
    nodes, edges, evidence = demo_frames()
    ring_view(nodes, edges, title="Ring ring_a", evidence=evidence).save(
        tmp_path / "viz" / "ring_a.html"
    )
    return tmp_path / "viz"


def first_column(page: Any) -> list[str]:
    return page.eval_on_selector_all(
        "#rl-rings-table tbody tr", "rows => rows.map(r => r.cells[0].textContent)"
    )


def test_report_sorts_and_links(tmp_path: Path, open_page: Any) -> None:
    opened = open_page(report_dir(tmp_path) / "index.html", wait_drawn=False)
    page = opened.page
    assert first_column(page) == ["ring_a", "ring_c", "ring_b", "ring_d"]  # risk, descending
    risk = page.locator("#rl-rings-table th", has_text="risk")
    risk.locator("button").click()
    assert risk.get_attribute("aria-sort") == "ascending"
    assert first_column(page) == ["ring_b", "ring_c", "ring_a", "ring_d"]  # empty risk last
    page.locator("#rl-rings-table th", has_text="size").locator("button").click()
    assert first_column(page) == ["ring_a", "ring_d", "ring_b", "ring_c"]  # 4 < 7 < 12 < 100
    page.locator("#rl-rings-table th", has_text="ring").first.locator("button").click()
    assert first_column(page) == ["ring_a", "ring_b", "ring_c", "ring_d"]
    page.locator("#rl-rings-table th", has_text="ring").first.locator("button").click()
    assert first_column(page) == ["ring_d", "ring_c", "ring_b", "ring_a"]
    assert page.evaluate("document.querySelectorAll('svg').length") == 4
    opened.assert_clean()
    # the ring link opens the ring view next to the report
    page.click("#rl-rings-table a:text-is('ring_a')")
    page.wait_for_selector(DRAWN, state="attached", timeout=20_000)
    assert page.title() == "Ring ring_a"
    opened.assert_clean()


def test_report_xss(tmp_path: Path, open_page: Any) -> None:
    rings, queue, diff, run_info = hostile_report_frames()
    title = XSS + XSS_SCRIPT
    path = write_run_report(
        tmp_path / "viz" / "index.html", rings, queue, diff=diff, run_info=run_info, title=title
    )
    opened = open_page(path, wait_drawn=False)
    page = opened.page
    assert page.title() == title
    body = page.text_content("body")
    for payload in PAYLOADS[:4]:
        assert payload in body, payload
    hrefs = page.eval_on_selector_all("a", "as => as.map(a => a.getAttribute('href'))")
    assert hrefs and all(
        h.startswith("ring_") and h.endswith(".html") and "/" not in h for h in hrefs
    )
    assert (
        page.evaluate("document.querySelectorAll('img, iframe, [onload], [onerror]').length") == 0
    )
    assert page.evaluate("document.querySelectorAll('script').length") == 1
    page.locator("#rl-rings-table th", has_text="pattern").locator("button").click()
    opened.assert_clean()
    assert page.title() == title
