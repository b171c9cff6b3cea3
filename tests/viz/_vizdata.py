"""Test data for the viz tests: a small ring, and frames with script payloads everywhere."""

from __future__ import annotations

from typing import Any

import polars as pl

PWNED = "pwned"
#: Set by the page at its first vis afterDrawing. Wait with wait_for_selector: the page's
#: CSP forbids eval, which wait_for_function needs once it has to poll.
DRAWN = "html[data-drawn]"
#: Payloads that would run script (setting document.title or opening a dialog) if any data
#: reached the page as markup or as a URL.
PAYLOADS = [
    "<img src=x onerror=\"document.title='pwned'\">",
    "</script><script>document.title='pwned'</script>",
    '"><svg onload="document.title=\'pwned\'">',
    "javascript:document.title='pwned'",
    "<img src=x onerror=alert(1)>",
    "'-alert(1)-'\u2028{{7*7}}&amp;<!--",
]
XSS = PAYLOADS[0]
XSS_SCRIPT = PAYLOADS[1]
XSS_SVG = PAYLOADS[2]
XSS_JS = PAYLOADS[3]


def demo_frames() -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """A small ring: 3 creators boosting 2 products, a buyer and a shared device as context."""
    nodes = pl.DataFrame(
        {
            "key": [
                "creator:c1",
                "creator:c2",
                "creator:c3",
                "product:p1",
                "product:p2",
                "buyer:b1",
                "device:d1",
            ],
            "node_type": ["creator", "creator", "creator", "product", "product", "buyer", "device"],
            "node_id": ["c1", "c2", "c3", "p1", "p2", "b1", "d1"],
            "label": ["Ann", "Bob", "Cy", "Mug", "Lamp", "Dee", "phone-7"],
            "risk_score": [92.5, 81.0, 77.0, 40.0, None, 12.0, 60.0],
            "reasons": [
                ["lockstep", "shared_device"],
                ["lockstep"],
                ["lockstep", "young_account"],
                ["boosted_target"],
                [],
                [],
                ["shared_device"],
            ],
            "in_ring": [True, True, True, True, False, False, True],
            "followers": [1200, 950, 40, None, None, None, None],
            "market": ["DE", "DE", "FR", "DE", "DE", "DE", None],
        }
    )
    edges = pl.DataFrame(
        {
            "src": [
                "creator:c1",
                "creator:c2",
                "creator:c3",
                "creator:c1",
                "buyer:b1",
                "creator:c1",
                "creator:c2",
            ],
            "dst": [
                "product:p1",
                "product:p1",
                "product:p1",
                "product:p2",
                "product:p1",
                "device:d1",
                "device:d1",
            ],
            "weight": [12.0, 9.0, 7.0, 1.0, 1.0, 3.0, 2.0],
            "actions": [
                ["promote", "review"],
                ["promote"],
                ["promote", "review"],
                ["post"],
                ["order"],
                ["login"],
                ["login"],
            ],
        }
    )
    evidence = pl.DataFrame(
        {
            "target": ["product:p1"],
            "actors": [3],
            "window_start": ["2024-05-01T10:00:00"],
            "window_end": ["2024-05-01T10:05:00"],
        }
    )
    return nodes, edges, evidence


def hostile_frames() -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Frames with a script payload in every field a page shows."""
    keys = [f"creator:{p}" for p in PAYLOADS] + [f"{XSS}:{XSS_SVG}"]
    n = len(keys)
    nodes = pl.DataFrame(
        {
            "key": keys,
            "node_type": ["creator"] * (n - 1) + [XSS],
            "node_id": PAYLOADS + [XSS_SVG],
            "label": [XSS_SCRIPT, XSS, XSS_SVG, XSS_JS, PAYLOADS[4], PAYLOADS[5], XSS],
            "risk_score": [90.0, 80.0, 70.0, 60.0, 50.0, 40.0, None],
            "reasons": [[XSS, XSS_SCRIPT]] * n,
            "in_ring": [True] * n,
            XSS: [XSS_SVG] * n,
            XSS_SCRIPT: [XSS_JS] * n,
        }
    )
    edges = pl.DataFrame(
        {
            "src": keys[:-1],
            "dst": keys[1:],
            "weight": [1.0] * (n - 1),
            "actions": [[XSS_SCRIPT], [XSS]] + [[XSS_SVG]] * (n - 3),
            "first_ts": [XSS] * (n - 1),
        }
    )
    evidence = pl.DataFrame({XSS: [XSS_SCRIPT, XSS_JS], "target": [XSS_SVG, keys[0]]})
    return nodes, edges, evidence


def hostile_report_frames() -> tuple[pl.DataFrame, pl.DataFrame, dict[str, Any], dict[str, Any]]:
    rings = pl.DataFrame(
        {
            "ring_id": [XSS, XSS_SCRIPT, XSS_SVG, XSS_JS, "../../etc/passwd", "ring_ok"],
            "pattern": [XSS, XSS_SCRIPT, "brushing", XSS_SVG, "other", "mutual_boost"],
            "risk_score": [90.0, 80.0, 70.0, 60.0, 50.0, 40.0],
            "size": [3, 4, 5, 6, 7, 8],
            "top_reasons": [[XSS, XSS_SCRIPT]] * 6,
        }
    )
    queue = pl.DataFrame(
        {
            "ring_id": [XSS, XSS_SCRIPT, "ring_ok"],
            "action": [XSS, "suspend", XSS_SVG],
            "market": [XSS_SCRIPT, "DE", None],
        }
    )
    diff = {
        "new": [XSS, XSS_JS],
        "gone": [XSS_SCRIPT],
        "grown": [],
        "merged": [[XSS, XSS_SVG]],
        "queue": {"added": 2, XSS: XSS_SCRIPT},
    }
    run_info = {XSS: XSS_SCRIPT, "seed": 7}
    return rings, queue, diff, run_info
