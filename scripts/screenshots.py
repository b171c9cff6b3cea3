"""Screenshots of the views and of the workbench, taken in headless Chromium.

Usage::

    .venv/bin/python scripts/screenshots.py                   # -> docs/img/
    .venv/bin/python scripts/screenshots.py RUN_DIR OUT_DIR   # a real run folder
    .venv/bin/python scripts/screenshots.py --only workbench  # or --only static

Without arguments both are taken from the demo set (``graphs/demo``) scored into a
temporary folder.

**Static views** (``report.png``, ``ring_view.png``): opens ``RUN_DIR/viz/index.html``,
follows the first ring link of the rings table (the riskiest ring), clicks its riskiest
node so the tooltip shows.

**Workbench** (``workbench_queue.png``, ``workbench_ring.png``, ``workbench_timeline.png``,
``workbench_members.png``, ``workbench_verdict.png``, ``workbench_history.png``): serves a
copy of ``RUN_DIR`` on 127.0.0.1, and walks the reviewer's path: the queue filtered to its
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

import polars as pl

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
    # centre it (a pan at the current zoom: a programmatic zoom would not resize labels)
    page.evaluate(  # type: ignore[attr-defined]
        "(id) => ringlensNetwork.focus(id, {scale: ringlensNetwork.getScale()})", node
    )
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

                def shot(name: str, target: object = None, max_height: int = 900) -> None:
                    path = out_dir / name
                    if target is None:
                        page.screenshot(path=str(path))
                    else:  # the element, cut at max_height
                        target.scroll_into_view_if_needed()  # type: ignore[attr-defined]
                        box = target.bounding_box()  # type: ignore[attr-defined]
                        scroll = page.evaluate("[window.scrollX, window.scrollY]")
                        clip = {
                            "x": box["x"] + scroll[0],
                            "y": box["y"] + scroll[1],
                            "width": box["width"],
                            "height": min(box["height"], max_height),
                        }
                        page.screenshot(path=str(path), clip=clip, full_page=True)
                    written.append(path)

                page.goto(url + "/?" + urlencode({"market": market}))
                shot("workbench_queue.png")
                page.goto(url + "/ring/" + top["ring_id"])
                page.wait_for_selector("html[data-drawn]", state="attached", timeout=60_000)
                # zoom in on the ring's core as a reviewer would (the wheel: labels resize)
                box = page.locator("#rl-graph").bounding_box()
                page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
                for _ in range(3):
                    page.mouse.wheel(0, -200)
                    page.wait_for_timeout(150)
                page.wait_for_timeout(400)
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
                shot("workbench_verdict.png", page.locator("#rl-verdict"), max_height=640)
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
        import ringlens

        out = args.out_dir or ROOT / "docs" / "img"
        with tempfile.TemporaryDirectory() as tmp:
            run = Path(tmp) / "demo"
            ringlens.run(ROOT / "graphs" / "demo", out_dir=run)
            if args.only in (None, "static"):
                written += capture(run, out)
            if args.only in (None, "workbench"):
                written += capture_workbench(run, out)
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
