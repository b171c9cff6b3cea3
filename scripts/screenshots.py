"""Screenshots of the views and of the workbench, taken in headless Chromium.

Usage::

    .venv/bin/python scripts/screenshots.py                   # -> docs/img/
    .venv/bin/python scripts/screenshots.py RUN_DIR OUT_DIR   # a real run folder
    .venv/bin/python scripts/screenshots.py --only workbench  # or --only static

**Static views** (``report.png``, ``ring_view.png``): opens ``RUN_DIR/viz/index.html``,
follows the first ring link of the rings table (the riskiest ring), clicks its riskiest
node so the tooltip shows. Without arguments it first builds a small fake run (a
mutual-boost ring of creators, products, devices and a payout account, with buyers as
context) in a temporary folder.

**Workbench** (``workbench_queue.png``, ``workbench_ring.png``, ``workbench_timeline.png``,
``workbench_members.png``, ``workbench_verdict.png``, ``workbench_history.png``): serves a
copy of ``RUN_DIR`` (without arguments: the demo set ``graphs/demo`` scored into a
temporary folder) on 127.0.0.1, and walks the reviewer's path: the queue filtered to its
largest market, the riskiest queued ring with its key target's tooltip open, the timeline
and the members table, a verdict (``actioned`` with a note) and the history page. The
run folder given is never written to.

Every request other than to the local server (or ``file:``) is aborted. Needs Debian's
``chromium``.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
import polars as pl

from ringlens.viz import ring_filename, ring_view, write_run_report

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
]


def demo_ring(seed: int = 7) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """A fake mutual-boost ring with context, in the viz contract's frames."""
    rng = np.random.default_rng(seed)
    creators = [f"creator:cr{i}" for i in range(7)]
    products = [f"product:p{i}" for i in range(4)]
    devices = ["device:dv-a1", "device:dv-b7"]
    payout = ["payout_account:iban-DE89-xx42"]
    buyers = [f"buyer:b{i}" for i in range(12)]
    other = [f"product:q{i}" for i in range(5)]
    names = [
        "Glow Daily",
        "Mia Tries",
        "DealHunter",
        "Kai Unboxed",
        "Luna Looks",
        "TechTom",
        "Ava Picks",
    ]
    keys = creators + products + devices + payout + buyers + other
    members = set(creators + products + devices + payout)
    label = (
        names
        + ["Vitamin C serum", "LED mirror", "Hair dryer X", "Phone case"]
        + ["Pixel 7 (dv-a1)", "iPhone 12 (dv-b7)", "DE89…42"]
        + [f"buyer {i}" for i in range(12)]
        + [f"product q{i}" for i in range(5)]
    )
    risk = []
    reasons = []
    for k in keys:
        if k in creators:
            risk.append(float(np.round(rng.uniform(72, 97), 1)))
            reasons.append(
                ["lockstep_promotion", "shared_device", "shared_payout", "young_account"][
                    : rng.integers(2, 5)
                ]
            )
        elif k in members:
            risk.append(float(np.round(rng.uniform(40, 80), 1)))
            reasons.append(["boosted_target"] if k.startswith("product") else ["shared_by_ring"])
        else:
            risk.append(float(np.round(rng.uniform(2, 30), 1)) if rng.random() < 0.7 else None)
            reasons.append([])
    nodes = pl.DataFrame(
        {
            "key": keys,
            "node_type": [k.split(":", 1)[0] for k in keys],
            "node_id": [k.split(":", 1)[1] for k in keys],
            "label": label,
            "risk_score": risk,
            "reasons": reasons,
            "in_ring": [k in members for k in keys],
            "account_age_days": [int(rng.integers(3, 40)) if k in creators else None for k in keys],
            "market": ["DE" if rng.random() < 0.8 else "AT" for _ in keys],
        },
        schema_overrides={"risk_score": pl.Float64},
    )
    src, dst, weight, actions = [], [], [], []
    for c in creators:
        for p in products:
            if rng.random() < 0.85:
                src.append(c)
                dst.append(p)
                weight.append(float(rng.integers(3, 15)))
                actions.append(["promote", "review"] if rng.random() < 0.5 else ["promote"])
        src.append(c)
        dst.append(devices[int(rng.random() < 0.5)])
        weight.append(float(rng.integers(5, 30)))
        actions.append(["login"])
        src.append(c)
        dst.append(payout[0])
        weight.append(1.0)
        actions.append(["payout_to"])
    for b in buyers:
        for t in rng.choice(products + other, size=2, replace=False):
            src.append(b)
            dst.append(str(t))
            weight.append(1.0)
            actions.append(["order"])
    edges = pl.DataFrame({"src": src, "dst": dst, "weight": weight, "actions": actions})
    evidence = pl.DataFrame(
        {
            "shared target": products,
            "ring members": [6, 7, 5, 6],
            "burst window (UTC)": [
                "2024-05-03 21:00–21:07",
                "2024-05-03 21:01–21:09",
                "2024-05-04 20:58–21:04",
                "2024-05-05 21:02–21:06",
            ],
            "actions in window": [41, 53, 29, 35],
        }
    )
    return nodes, edges, evidence


def build_demo_run(run_dir: Path) -> None:
    """A fake run folder: ``viz/index.html`` plus the top ring's view."""
    rng = np.random.default_rng(3)
    patterns = ["mutual_boost", "brushing", "affiliate_fraud", "sock_puppet_farm", "other"]
    n = 40
    ring_ids = [f"ring_{rng.integers(0, 2**63):016x}" for _ in range(n)]
    risk = np.round(np.clip(rng.normal(62, 16, n), 5, 99), 1)
    risk[0] = 97.4
    rings = pl.DataFrame(
        {
            "ring_id": ring_ids,
            "pattern": [patterns[0]]
            + list(rng.choice(patterns, size=n - 1, p=[0.3, 0.3, 0.2, 0.1, 0.1])),
            "risk_score": risk,
            "size": [14] + list(rng.integers(3, 60, n - 1)),
            "top_reasons": [["lockstep_promotion", "shared_device", "shared_payout"]]
            + [
                list(
                    rng.choice(
                        [
                            "lockstep",
                            "dense_block",
                            "shared_device",
                            "young_accounts",
                            "reciprocity",
                        ],
                        3,
                        replace=False,
                    )
                )
                for _ in range(n - 1)
            ],
        }
    )
    m = 300
    queue = pl.DataFrame(
        {
            "ring_id": list(rng.choice(ring_ids, size=m)),
            "action": list(
                rng.choice(
                    ["monitor", "manual_review", "restrict_commissions", "suspend"],
                    size=m,
                    p=[0.4, 0.35, 0.15, 0.1],
                )
            ),
            "market": list(rng.choice(["DE", "FR", "IT", "ES", None], size=m)),
        }
    )
    entities = pl.DataFrame(
        {
            "entity_type": list(
                rng.choice(["creator", "buyer", "seller", "product", "device"], size=2000)
            ),
            "risk_score": np.round(np.clip(rng.gamma(2.0, 12.0, 2000), 0, 100), 1),
        }
    )
    diff = {
        "new": ring_ids[:3],
        "gone": ["ring_5be0a1c2d3e4f506"],
        "grown": [ring_ids[5]],
        "shrunk": [],
        "merged": [],
        "queue": {"added": 37, "removed": 4, "action_changed": 6},
    }
    run_info = {"run_id": "demo-2024-05-06", "seed": 7, "ringlens": "0.1.0", "events": "1,204,331"}
    viz = run_dir / "viz"
    write_run_report(
        viz / "index.html",
        rings,
        queue,
        entities=entities,
        diff=diff,
        run_info=run_info,
        linked_rings=[ring_ids[0]],
        title="ringlens run report — demo",
    )
    nodes, edges, evidence = demo_ring()
    members = int(nodes["in_ring"].sum())
    ring_view(
        nodes,
        edges,
        title=f"Ring {ring_ids[0]} · mutual_boost · risk 97.4",
        evidence=evidence,
        note=f"{members} ring members and {nodes.height - members} context nodes (all shown)",
    ).save(viz / ring_filename(ring_ids[0]))


def capture(run_dir: Path, out_dir: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    exe = shutil.which("chromium")
    if exe is None:
        raise SystemExit("chromium not found: apt-get install chromium")
    index = run_dir / "viz" / "index.html"
    if not index.is_file():
        raise SystemExit(f"no report at {index}")
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        context = browser.new_context(
            viewport={"width": 1360, "height": 900}, device_scale_factor=1
        )
        context.route(
            "**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort()
        )
        page = context.new_page()
        page.goto(index.resolve().as_uri())
        page.screenshot(path=str(out_dir / "report.png"), full_page=True)
        written.append(out_dir / "report.png")
        link = page.locator("#rl-rings-table a.ring-link").first
        if link.count() == 0:
            print("no ring link in the report; skipping the ring view", file=sys.stderr)
        else:
            link.click()
            page.wait_for_selector("html[data-drawn]", state="attached", timeout=60_000)
            node = page.evaluate(
                """() => { const d = JSON.parse(document.getElementById('rl-data').textContent);
                           let best = 0;
                           d.info.forEach((m, i) => { if ((m[3] ?? -1) > (d.info[best][3] ?? -1)) best = i; });
                           return best; }"""
            )
            x, y = page.evaluate(
                """(id) => { const n = window.ringlensNetwork;
                             const p = n.canvasToDOM(n.getPosition(id));
                             const r = document.getElementById('rl-graph').getBoundingClientRect();
                             return [p.x + r.left, p.y + r.top]; }""",
                node,
            )
            page.mouse.click(x, y)
            page.wait_for_selector("#rl-tip:not([hidden])")
            page.screenshot(path=str(out_dir / "ring_view.png"), full_page=True)
            written.append(out_dir / "ring_view.png")
        browser.close()
    return written


def _serve(run_dir: Path) -> tuple[str, object, object]:
    """The workbench over ``run_dir`` on a free loopback port, in a thread."""
    import threading
    import time

    import uvicorn

    from ringlens.serve import bind, create_app, open_workspace

    ws = open_workspace(str(run_dir))
    sock = bind("127.0.0.1", 0)
    app = create_app(ws, reviewer="alice")
    server = uvicorn.Server(uvicorn.Config(app, log_level="error", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    for _ in range(400):
        if server.started:
            break
        time.sleep(0.05)
    return f"http://127.0.0.1:{sock.getsockname()[1]}", server, thread


def _click_node(page: object, key: str) -> None:
    node = page.evaluate(  # type: ignore[attr-defined]
        """(key) => { const d = JSON.parse(document.getElementById('rl-data').textContent);
                      return d.info.findIndex((m) => m[0] === key); }""",
        key,
    )
    page.evaluate("(id) => ringlensNetwork.focus(id, {scale: 1.0})", node)  # type: ignore[attr-defined]
    x, y = page.evaluate(  # type: ignore[attr-defined]
        """(id) => { const n = window.ringlensNetwork;
                     const p = n.canvasToDOM(n.getPosition(id));
                     const r = document.getElementById('rl-graph').getBoundingClientRect();
                     return [p.x + r.left, p.y + r.top]; }""",
        node,
    )
    page.mouse.click(x, y)  # type: ignore[attr-defined]


def capture_workbench(run_dir: Path, out_dir: Path) -> list[Path]:
    """The reviewer's path through the workbench over a copy of ``run_dir``."""
    from urllib.parse import urlencode

    from playwright.sync_api import sync_playwright

    exe = shutil.which("chromium")
    if exe is None:
        raise SystemExit("chromium not found: apt-get install chromium")
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with tempfile.TemporaryDirectory() as tmp:
        run = Path(tmp) / "run"
        shutil.copytree(run_dir, run, symlinks=True)  # verdicts go into the copy
        rings = pl.read_parquet(run / "rings.parquet")
        queue = pl.read_parquet(run / "queue.parquet")
        top = (
            rings.join(queue.select("ring_id").unique(), on="ring_id")
            .sort(["risk_score", "ring_id"], descending=[True, False])
            .row(0, named=True)
        )
        market = (
            queue.drop_nulls("market")
            .group_by("market")
            .len()
            .sort(["len", "market"], descending=True)["market"][0]
        )
        from ringlens.graph import build_graph
        from ringlens.viz.evidence import read_run, ring_actions, ring_events

        members = list(top["members"])
        actions = ring_actions(build_graph(ring_events(read_run(run).events(), members)), members)
        key_target = (
            actions.group_by("target")
            .agg(pl.col("actor").n_unique().alias("m"))
            .sort(["m", "target"], descending=[True, False])["target"][0]
        )
        url, server, thread = _serve(run)
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
                context = browser.new_context(
                    viewport={"width": 1360, "height": 900}, device_scale_factor=1
                )
                context.route(
                    "**/*",
                    lambda r: r.continue_() if r.request.url.startswith(url + "/") else r.abort(),
                )
                page = context.new_page()

                def shot(name: str, target: object = None) -> None:
                    path = out_dir / name
                    if target is None:
                        page.screenshot(path=str(path))
                    else:
                        target.screenshot(path=str(path))  # type: ignore[attr-defined]
                    written.append(path)

                page.goto(url + "/?" + urlencode({"market": market}))
                shot("workbench_queue.png")
                page.goto(url + "/ring/" + top["ring_id"])
                page.wait_for_selector("html[data-drawn]", state="attached", timeout=60_000)
                _click_node(page, key_target)
                page.wait_for_selector("#rl-tip:not([hidden])")
                shot("workbench_ring.png")
                page.click("#rl-tip button.close")
                shot("workbench_timeline.png", page.locator("#rl-timeline"))
                shot("workbench_members.png", page.locator("#rl-members"))
                page.check("#rl-verdict-form input[name=scope][value=ring]")
                page.select_option("#rl-verdict-status", "actioned")
                page.fill("#rl-verdict-note", "same creator, same hours: confirmed")
                with page.expect_navigation():
                    page.click("#rl-verdict-go")
                page.wait_for_selector("html[data-drawn]", state="attached", timeout=60_000)
                shot("workbench_verdict.png", page.locator("#rl-verdict"))
                page.goto(url + "/history")
                shot("workbench_history.png")
                browser.close()
        finally:
            server.should_exit = True  # type: ignore[attr-defined]
            thread.join(timeout=10)  # type: ignore[attr-defined]
            server.config.app.state.workspace.close()  # type: ignore[attr-defined]
    return written


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("run_dir", nargs="?", type=Path, help="run folder (with viz/index.html)")
    ap.add_argument("out_dir", nargs="?", type=Path, help="where the PNGs go")
    ap.add_argument("--only", choices=("static", "workbench"), default=None)
    args = ap.parse_args(argv)
    written: list[Path] = []
    if args.run_dir is None:
        out = args.out_dir or ROOT / "docs" / "img"
        if args.only in (None, "static"):
            with tempfile.TemporaryDirectory() as tmp:
                build_demo_run(Path(tmp))
                written += capture(Path(tmp), out)
        if args.only in (None, "workbench"):
            import ringlens

            with tempfile.TemporaryDirectory() as tmp:
                ringlens.run(ROOT / "graphs" / "demo", out_dir=Path(tmp) / "demo")
                written += capture_workbench(Path(tmp) / "demo", out)
    else:
        out = args.out_dir or Path(".")
        if args.only in (None, "static"):
            written += capture(args.run_dir, out)
        if args.only in (None, "workbench"):
            written += capture_workbench(args.run_dir, out)
    for w in written:
        print(w)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
