"""Benchmark ringlens.viz ring views against pyvis' own rendering path, in headless Chromium.

For random graphs (~2 edges per node) at each size it measures, for ``ring_view``:
Python build time (igraph layout included), page size, and time to first draw in
Chromium (navigation start → first vis ``afterDrawing``, read from ``performance.now()``
in the page). For pyvis' default path (``Network()`` with physics on, ``add_node`` /
``add_edge`` as its docs show, ``write_html``; ``cdn_resources="in_line"`` because the
default ``local`` mode loads vis-network from a CDN and draws nothing offline) it measures
the same plus the time to ``stabilized``, each wait capped at ``--timeout`` seconds.

The network is blocked (every non-``file:`` request is aborted), like the tests.

Usage::

    .venv/bin/python bench/bench_viz.py                       # 500, 5,000, 20,000; pyvis at 500, 5,000
    .venv/bin/python bench/bench_viz.py --sizes 500 --pyvis-sizes 500 --timeout 30
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

from ringlens.viz import ring_view
from ringlens.viz.ring import _layout

TYPES = ["creator", "seller", "buyer", "product", "content"]
ACTIONS = ["promote", "review", "order", "like", "follow", "affiliate_click"]
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# Installed before any page script: wraps vis.Network so pyvis' page reports its events.
HOOK = """
(() => {
  let visObj;
  Object.defineProperty(window, "vis", {
    configurable: true,
    get() { return visObj; },
    set(v) {
      visObj = v;
      let Real;
      Object.defineProperty(v, "Network", {
        configurable: true, enumerable: true,
        get() { return Real; },
        set(N) {
          Real = function (...args) {
            const n = new N(...args);
            n.once("afterDrawing", () => { window.benchFirstDraw = performance.now(); });
            n.once("stabilizationIterationsDone", () => { window.benchStabDone = performance.now(); });
            n.once("stabilized", () => { window.benchStabilized = performance.now(); });
            return n;
          };
          Real.prototype = N.prototype;
        },
      });
    },
  });
})();
"""


def random_graph(n: int, seed: int = 0) -> tuple[pl.DataFrame, pl.DataFrame]:
    rng = np.random.default_rng(seed)
    types = rng.choice(TYPES, size=n)
    ids = np.arange(n).astype(str)
    keys = np.char.add(np.char.add(types.astype(str), ":"), ids)
    nodes = pl.DataFrame(
        {
            "key": keys,
            "node_type": types,
            "node_id": ids,
            "label": np.char.add("entity ", ids),
            "risk_score": np.round(rng.uniform(0, 100, n), 1),
            "reasons": [["lockstep", "shared_device"]] * n,
            "in_ring": rng.random(n) < 0.2,
            "followers": rng.integers(0, 10_000, n),
        }
    )
    m = 2 * n
    src = rng.integers(0, n, m)
    dst = rng.integers(0, n, m)
    keep = src != dst
    edges = pl.DataFrame(
        {
            "src": keys[src[keep]],
            "dst": keys[dst[keep]],
            "weight": rng.integers(1, 20, int(keep.sum())).astype(float),
            "actions": [[a] for a in rng.choice(ACTIONS, size=int(keep.sum()))],
        }
    )
    return nodes, edges


def build_ringlens(nodes: pl.DataFrame, edges: pl.DataFrame, path: Path) -> dict:
    t0 = time.perf_counter()
    view = ring_view(nodes, edges, title=f"bench {nodes.height}")
    build = time.perf_counter() - t0
    view.save(path)
    keys = {k: i for i, k in enumerate(nodes["key"].to_list())}
    src = np.array([keys[k] for k in edges["src"].to_list()])
    dst = np.array([keys[k] for k in edges["dst"].to_list()])
    t0 = time.perf_counter()
    _layout(nodes.height, src, dst, 0)
    layout = time.perf_counter() - t0
    return {"build_s": build, "layout_s": layout, "mb": path.stat().st_size / 1e6}


def build_pyvis(nodes: pl.DataFrame, edges: pl.DataFrame, path: Path) -> dict:
    from pyvis.network import Network

    t0 = time.perf_counter()
    net = Network(cdn_resources="in_line")  # physics on: pyvis' default
    net.add_nodes(
        nodes["key"].to_list(),
        label=nodes["label"].to_list(),
        title=[f"{k} risk {r}" for k, r in zip(nodes["key"], nodes["risk_score"], strict=True)],
    )
    for s, d, w in zip(edges["src"], edges["dst"], edges["weight"], strict=True):
        net.add_edge(s, d, value=w)  # what pyvis' docs show; rescans all edges per call
    build_model = time.perf_counter() - t0
    cwd = os.getcwd()
    os.chdir(path.parent)
    try:
        t1 = time.perf_counter()
        net.write_html(path.name)
        write = time.perf_counter() - t1
    finally:
        os.chdir(cwd)
    return {
        "build_s": build_model + write,
        "add_edge_s": build_model,
        "mb": path.stat().st_size / 1e6,
    }


def measure(browser, path: Path, *, flag: str, timeout_s: float, hook: bool = False) -> dict:
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    blocked: list[str] = []

    def route(r):
        if r.request.url.startswith("file:"):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    if hook:
        context.add_init_script(HOOK)
    page = context.new_page()
    out: dict = {"blocked_requests": len(blocked)}
    try:
        page.goto(path.resolve().as_uri(), timeout=timeout_s * 1000, wait_until="commit")
        try:
            if hook:  # pyvis' page has no CSP
                page.wait_for_function(
                    f"window.{flag} !== undefined", timeout=timeout_s * 1000, polling=100
                )
            else:  # our CSP forbids the eval that a polling wait_for_function needs
                page.wait_for_selector(
                    "html[data-drawn]", state="attached", timeout=timeout_s * 1000
                )
            out["first_draw_s"] = page.evaluate(f"window.{flag}") / 1000
        except PlaywrightTimeoutError:
            out["first_draw_s"] = None
        if hook:
            try:
                page.wait_for_function(
                    "window.benchStabilized !== undefined", timeout=timeout_s * 1000, polling=250
                )
                out["stabilized_s"] = page.evaluate("window.benchStabilized") / 1000
            except PlaywrightTimeoutError:
                out["stabilized_s"] = None
    finally:
        out["blocked_requests"] = len(blocked)
        context.close()
    return out


def fmt(v: float | None, timeout_s: float, unit: str = " s") -> str:
    return f">{timeout_s:.0f}{unit}" if v is None else f"{v:.2f}{unit}"


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    chromium = shutil.which("chromium")
    ver = (
        subprocess.run([chromium, "--version"], capture_output=True, text=True).stdout.strip()
        if chromium
        else "?"
    )
    return f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, {ver}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--sizes", type=int, nargs="+", default=[500, 5000, 20000])
    ap.add_argument("--pyvis-sizes", type=int, nargs="*", default=[500, 5000])
    ap.add_argument("--timeout", type=float, default=60.0, help="cap on each browser wait (s)")
    ap.add_argument("--json", type=Path, help="also write the results as JSON here")
    args = ap.parse_args(argv)

    from playwright.sync_api import sync_playwright

    exe = shutil.which("chromium")
    if exe is None:
        print("chromium not found (apt-get install chromium)", file=sys.stderr)
        return 2
    results: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        for n in sorted(set(args.sizes) | set(args.pyvis_sizes)):
            nodes, edges = random_graph(n)
            if n in args.sizes:
                path = Path(tmp) / f"ringlens_{n}.html"
                row = {
                    "tool": "ringlens ring_view (physics off)",
                    "nodes": n,
                    "edges": edges.height,
                }
                row |= build_ringlens(nodes, edges, path)
                row |= measure(browser, path, flag="ringlensFirstDrawMs", timeout_s=args.timeout)
                results.append(row)
                print(json.dumps(row), flush=True)
            if n in args.pyvis_sizes:
                sub = Path(tmp) / f"pyvis_{n}"
                sub.mkdir()
                path = sub / "graph.html"
                row = {"tool": "pyvis write_html (physics on)", "nodes": n, "edges": edges.height}
                row |= build_pyvis(nodes, edges, path)
                row |= measure(
                    browser, path, flag="benchFirstDraw", timeout_s=args.timeout, hook=True
                )
                results.append(row)
                print(json.dumps(row), flush=True)
        browser.close()

    t = args.timeout
    print()
    print(f"Machine: {machine()}")
    print()
    print(
        "| view | nodes | edges | build (Python) | size | first draw | settled | blocked requests |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        settled = "n/a (physics off)" if "stabilized_s" not in r else fmt(r["stabilized_s"], t)
        build = f"{r['build_s']:.2f} s"
        if "layout_s" in r:
            build += f" (layout {r['layout_s']:.2f} s)"
        print(
            f"| {r['tool']} | {r['nodes']:,} | {r['edges']:,} | {build} | {r['mb']:.1f} MB | "
            f"{fmt(r['first_draw_s'], t)} | {settled} | {r['blocked_requests']} |"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
