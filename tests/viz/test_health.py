"""The health dashboard: escaped and offline in headless Chromium, sortable tables."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import pytest

from ringlens.viz.health import health_page, line_chart, write_health_page

from ._vizdata import PAYLOADS, XSS, XSS_SCRIPT


def frames(names: list[str]) -> dict[str, Any]:
    runs = ["run_a", "run_b", "run_c"]
    prec = pl.DataFrame(
        [
            {
                "dimension": dim,
                "value": v,
                "run_id": r,
                "n": 40 + i,
                "confirmed": 30 + i,
                "precision": (30 + i) / (40 + i),
                "lo": 0.6,
                "hi": 0.85,
                "small_sample": False,
            }
            for dim in ("pattern", "market")
            for v in names
            for i, r in enumerate(runs)
        ]
    )
    vol = pl.DataFrame(
        {
            "run_id": runs * 2,
            "queue": ["review"] * 3 + [names[0]] * 3,
            "queued": [100, 120, 150, 5, 6, 7],
            "over_capacity": [0, 0, 30, 0, 0, 0],
            "capacity": [150] * 3 + [10] * 3,
        }
    )
    backlog = pl.DataFrame({"run_id": runs, "open_items": [10, 25, 40]})
    drift = pl.DataFrame(
        {
            "level": ["action", "market", "action × market", "action × market"],
            "action": [names[0], None, "like", "like"],
            "market": [None, names[-1], "US", "GB"],
            "events": [10, 20, 300, 200],
            "per_day": [10.0, 20.0, 300.0, 200.0],
            "expected_per_day": [None, None, 290.0, 210.0],
            "ratio": [None, None, 1.03, 0.95],
            "flag": ["new action", "new market", None, None],
        }
    )
    return {
        "precision_by_run": prec,
        "volume": vol,
        "runs": runs,
        "backlog": backlog,
        "drift": drift,
    }


def test_health_page_escapes_everything() -> None:
    f = frames(PAYLOADS)
    html = health_page(
        f["precision_by_run"],
        f["volume"],
        runs=f["runs"],
        backlog=f["backlog"],
        drift=f["drift"],
        alerts=[f"new market: {XSS}"],
        notes=[XSS_SCRIPT],
        title=XSS,
        info={XSS: XSS_SCRIPT},
    )
    body = html.split("<script>", 1)[0]
    for p in PAYLOADS:
        if "<" in p:  # markup never arrives raw
            assert p not in body, p
    assert html.count("<script>") == 1  # the page's own sorting script only
    assert "&lt;img src=x" in html


def test_line_chart_handles_gaps_and_no_data() -> None:
    svg = line_chart(
        ["a", "b", "c"],
        [{"name": "x", "values": [0.5, None, 0.7], "lo": [0.4, None, 0.6], "hi": [0.6, None, 0.8]}],
        title="t",
        y_max=1.0,
        percent=True,
    )
    assert svg.count("<circle") == 2 and "50%" in svg
    assert "no data" in line_chart(["a"], [], title="empty")


@pytest.mark.browser
def test_health_page_offline_in_chromium(tmp_path: Path, open_page: Any) -> None:
    f = frames(["brushing", "mutual_boost"] + PAYLOADS[:3])
    path = write_health_page(
        tmp_path / "health.html",
        f["precision_by_run"],
        f["volume"],
        runs=f["runs"],
        backlog=f["backlog"],
        drift=f["drift"],
        alerts=[f"new action: {XSS}"],
        title="ringlens health " + XSS_SCRIPT,
    )
    opened = open_page(path, wait_drawn=False)
    page = opened.page
    assert page.title() == "ringlens health " + XSS_SCRIPT
    assert page.evaluate("document.querySelectorAll('svg').length") >= 4
    assert XSS in page.inner_text("#rl-alerts")
    assert (
        page.evaluate("document.querySelectorAll('img, iframe, [onload], [onerror]').length") == 0
    )
    # flagged drift rows first, sortable
    first = page.eval_on_selector_all(
        "#rl-drift-table tbody tr", "rs => rs.map(r => r.cells[6].textContent)"
    )
    assert first[:2] == ["new action", "new market"]
    page.locator("#rl-drift-table th", has_text="events/day").locator("button").click()
    col = page.eval_on_selector_all(
        "#rl-drift-table tbody tr", "rs => rs.map(r => r.cells[3].textContent)"
    )
    assert col == sorted(col, key=lambda x: float(x.replace(",", "")))
    opened.assert_clean()
    assert len(opened.requests) == 1  # the file itself


@pytest.mark.browser
def test_health_screenshot_is_drawn(tmp_path: Path, open_page: Any) -> None:
    f = frames(["brushing", "affiliate_fraud", "US", "DE"])
    path = write_health_page(
        tmp_path / "h.html",
        f["precision_by_run"],
        f["volume"],
        runs=f["runs"],
        backlog=f["backlog"],
        drift=f["drift"],
    )
    opened = open_page(path, wait_drawn=False)
    png = opened.page.screenshot(full_page=True)
    assert len(png) > 20_000
    opened.assert_clean()
