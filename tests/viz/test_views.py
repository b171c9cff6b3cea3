"""Unit tests of ringlens.viz that need no browser: escaping, determinism, caps, errors."""

from __future__ import annotations

import html as htmllib
import json
import random
import re
from pathlib import Path

import polars as pl
import pytest

from ringlens.exceptions import ConfigError, InputError, SchemaError
from ringlens.viz import (
    RingView,
    ego_view,
    ring_filename,
    ring_view,
    run_report,
    safe_filename,
    write_run_report,
)
from ringlens.viz._common import script_hash, script_json
from ringlens.viz.ego import ego_subgraph

from ._vizdata import (
    PAYLOADS,
    XSS,
    XSS_SCRIPT,
    demo_frames,
    hostile_frames,
    hostile_report_frames,
)

SCRIPT_OPEN = re.compile(r"^<script\b", re.I | re.M)  # vis-network has a "<script>" literal


def csp_of(page: str) -> str:
    m = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', page)
    assert m, "no CSP meta tag"
    return htmllib.unescape(m.group(1))


def data_block(page: str) -> dict:
    m = re.search(r'<script type="application/json" id="rl-data">(.*?)</script>', page, re.S)
    assert m, "no JSON data block"
    return json.loads(m.group(1))


def test_page_is_self_contained_with_csp() -> None:
    nodes, edges, evidence = demo_frames()
    page = ring_view(nodes, edges, title="t", evidence=evidence).html()
    csp = csp_of(page)
    assert page.index("Content-Security-Policy") < page.index("<script")
    assert csp.startswith("default-src 'none'; script-src 'unsafe-inline' 'sha256-")
    assert "connect-src" not in csp and "img-src data:;" in csp
    # exactly the page's two executable inline scripts are allowed by hash
    scripts = re.findall(r"^<script>(.*?)</script>$", page, re.S | re.M)
    assert len(scripts) == 2
    assert re.findall(r"'sha256-[^']+'", csp) == [script_hash(t) for t in scripts]
    assert not re.search(r"<(script|link|img|iframe)\b[^>]*\b(src|href)=", page, re.I)
    assert "sourceMappingURL" not in page
    assert "bootstrap" not in page.lower()
    assert len(SCRIPT_OPEN.findall(page)) == 3  # data, vis-network, ours
    data = data_block(page)
    assert len(data["nodes"]) == 7 and len(data["edges"]) == 7
    assert data["actions"] == ["login", "order", "post", "promote", "review"]


def test_hostile_strings_are_escaped_in_raw_html() -> None:
    nodes, edges, evidence = hostile_frames()
    page = ring_view(nodes, edges, title=XSS_SCRIPT, note=XSS, evidence=evidence).html()
    for payload in PAYLOADS:
        if "<" in payload:
            assert payload not in page, payload
    # exactly our three script elements and their three closing tags
    assert len(SCRIPT_OPEN.findall(page)) == 3
    assert page.lower().count("</script") == 3
    assert "<!--" not in page
    assert "<img" not in page.lower() and "<svg" not in page.lower()
    assert "\u2028" not in page
    # the data survives the round trip
    data = data_block(page)
    assert [i[2] for i in data["info"]] == nodes["label"].to_list()
    assert data["extraNames"] == [XSS, XSS_SCRIPT]
    assert data["evidence"]["columns"] == [XSS, "target"]
    assert "&lt;/script&gt;&lt;script&gt;" in page  # title, autoescaped


def test_script_json_escapes() -> None:
    out = str(script_json({"k": "</script>&\u2028\u2029<!--"}))
    assert "<" not in out and ">" not in out and "&" not in out
    assert "\u2028" not in out and "\u2029" not in out
    assert json.loads(out) == {"k": "</script>&\u2028\u2029<!--"}
    with pytest.raises(ValueError):
        script_json({"x": float("nan")})


def test_deterministic_and_seeded() -> None:
    nodes, edges, evidence = demo_frames()
    a = ring_view(nodes, edges, title="t", evidence=evidence, seed=3).html()
    b = ring_view(nodes, edges, title="t", evidence=evidence, seed=3).html()
    c = ring_view(nodes, edges, title="t", evidence=evidence, seed=4).html()
    assert a == b
    assert a != c


def test_global_random_state_untouched() -> None:
    nodes, edges, _ = demo_frames()
    random.seed(123)
    expected = random.random()
    random.seed(123)
    ring_view(nodes, edges, title="t")
    assert random.random() == expected


def test_precomputed_positions_are_used() -> None:
    nodes, edges, _ = demo_frames()
    nodes = nodes.with_columns(x=pl.int_range(pl.len()) * 100.0, y=pl.lit(5.0))
    data = data_block(ring_view(nodes, edges, title="t").html())
    assert [(n["x"], n["y"]) for n in data["nodes"]][:3] == [(0.0, 5.0), (100.0, 5.0), (200.0, 5.0)]
    assert "x" not in data["extraNames"]


def test_styling_by_type_risk_and_membership() -> None:
    nodes, edges, _ = demo_frames()
    data = data_block(ring_view(nodes, edges, title="t").html())
    by_key = {i[0]: n for i, n in zip(data["info"], data["nodes"], strict=True)}
    ann, lamp = by_key["creator:c1"], by_key["product:p2"]
    assert ann["size"] > by_key["creator:c3"]["size"]  # riskier is bigger
    assert ann["borderWidth"] > lamp["borderWidth"]  # member vs context
    assert ann["color"]["background"] == "#e15759"  # creator colour
    widths = [e["width"] for e in data["edges"]]
    assert widths[0] == max(widths)  # heaviest edge is widest
    assert data["options"]["physics"]["enabled"] is False
    assert data_block(ring_view(nodes, edges, title="t", physics=True).html())["options"][
        "physics"
    ]["enabled"]


def test_defaults_for_minimal_frames() -> None:
    nodes = pl.DataFrame({"key": ["creator:1", "product:2", "nokey"]})
    edges = pl.DataFrame({"src": ["creator:1"], "dst": ["product:2"]})
    data = data_block(ring_view(nodes, edges, title="t").html())
    assert [t["name"] for t in data["types"]] == ["?", "creator", "product"]
    assert [i[1] for i in data["info"]] == ["1", "2", "nokey"]
    assert data["edgeInfo"] == [[1.0, "", ""]]


def test_empty_graph_renders() -> None:
    nodes = pl.DataFrame({"key": []}, schema={"key": pl.String})
    edges = pl.DataFrame({"src": [], "dst": []}, schema={"src": pl.String, "dst": pl.String})
    view = ring_view(nodes, edges, title="empty")
    assert view.n_nodes == 0 and view.n_edges == 0


@pytest.mark.parametrize(
    ("nodes", "edges", "exc", "match"),
    [
        (pl.DataFrame({"id": ["a"]}), pl.DataFrame({"src": [], "dst": []}), SchemaError, "'key'"),
        (pl.DataFrame({"key": ["a", "a"]}), None, SchemaError, "duplicates, e.g. 'a'"),
        (pl.DataFrame({"key": ["a", None]}), None, SchemaError, "null in row 1"),
        (pl.DataFrame({"key": ["a"], "risk_score": ["high"]}), None, SchemaError, "risk_score"),
        (pl.DataFrame({"key": ["a"]}), pl.DataFrame({"src": ["a"]}), SchemaError, "'dst'"),
        (
            pl.DataFrame({"key": ["a"]}),
            pl.DataFrame({"src": ["a"], "dst": ["ghost:1"]}),
            InputError,
            "'ghost:1'",
        ),
        ("not a frame", None, SchemaError, "polars DataFrame"),
        (pl.DataFrame({"key": ["a"]}).lazy(), None, SchemaError, "LazyFrame"),
    ],
)
def test_bad_input(nodes, edges, exc, match) -> None:
    if edges is None:
        edges = pl.DataFrame({"src": [], "dst": []}, schema={"src": pl.String, "dst": pl.String})
    with pytest.raises(exc, match=re.escape(match)):
        ring_view(nodes, edges, title="t")


def test_bad_settings() -> None:
    nodes, edges, _ = demo_frames()
    with pytest.raises(ConfigError):
        ring_view(nodes, edges, title=3)  # type: ignore[arg-type]
    with pytest.raises(ConfigError):
        ring_view(nodes, edges, title="t", seed="x")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="hops"):
        ego_view(nodes, edges, center="creator:c1", hops=-1)
    with pytest.raises(ConfigError, match="max_nodes"):
        ego_view(nodes, edges, center="creator:c1", max_nodes=0)


def test_save_is_atomic_and_repr(tmp_path: Path) -> None:
    nodes, edges, _ = demo_frames()
    view = ring_view(nodes, edges, title=XSS)
    target = tmp_path / "viz" / "ring_x.html"
    assert view.save(target) == target
    assert target.read_text(encoding="utf-8") == view.html()
    assert [p.name for p in target.parent.iterdir()] == ["ring_x.html"]  # no temp left over
    view.save(target)  # overwrite in place
    frame = view._repr_html_()
    assert frame.startswith('<iframe sandbox="allow-scripts"')
    assert "allow-same-origin" not in frame
    assert XSS not in frame and "<script" not in frame
    srcdoc = re.search(r'srcdoc="([^"]*)"', frame).group(1)
    assert htmllib.unescape(srcdoc) == view.html()
    assert isinstance(view, RingView) and "n_nodes=7" in repr(view)


def big_star() -> tuple[pl.DataFrame, pl.DataFrame]:
    """Centre c with 10 neighbours (weights 10..1), each with 2 leaves."""
    hubs = [f"buyer:h{i}" for i in range(10)]
    leaves = [f"product:l{i}_{j}" for i in range(10) for j in range(2)]
    nodes = pl.DataFrame(
        {
            "key": ["creator:c", *hubs, *leaves, "creator:far"],
            "risk_score": [50.0] + [float(i) for i in range(10)] + [1.0] * 20 + [99.0],
        }
    )
    edges = pl.DataFrame(
        {
            "src": ["creator:c"] * 10
            + [hubs[i] for i in range(10) for _ in range(2)]
            + [leaves[0]],
            "dst": hubs + leaves + ["creator:far"],
            "weight": [float(10 - i) for i in range(10)] + [1.0] * 21,
        }
    )
    return nodes, edges


def test_ego_bfs_hops_and_cap() -> None:
    nodes, edges = big_star()
    n, e, note = ego_subgraph(nodes, edges, center="creator:c", hops=1, max_nodes=100)
    assert n.height == 11 and e.height == 10
    assert note == "11 nodes within 1 hop of creator:c"
    n, e, note = ego_subgraph(nodes, edges, center="creator:c", hops=2, max_nodes=100)
    assert n.height == 31 and "creator:far" not in n["key"].to_list()
    n, e, note = ego_subgraph(nodes, edges, center="creator:c", hops=2, max_nodes=5)
    # nearest first, then heaviest edge towards the centre
    assert n["key"].to_list() == ["creator:c", "buyer:h0", "buyer:h1", "buyer:h2", "buyer:h3"]
    assert n["hop"].to_list() == [0, 1, 1, 1, 1]
    assert e.height == 4
    assert note == (
        "showing 5 of 31 nodes within 2 hops of creator:c; 26 nodes and 26 edges left out "
        "(cap 5, nearest first)"
    )
    # edges are followed in both directions
    n, _, _ = ego_subgraph(nodes, edges, center="creator:far", hops=2, max_nodes=100)
    assert set(n["key"].to_list()) == {"creator:far", "product:l0_0", "buyer:h0"}


def test_ego_view_note_and_center() -> None:
    nodes, edges = big_star()
    view = ego_view(nodes, edges, center="creator:c", hops=2, max_nodes=5)
    page = view.html()
    assert "26 nodes and 26 edges left out" in page
    data = data_block(page)
    assert data["center"] == 0 and data["nodes"][0]["shape"] == "star"
    assert "hop" in data["extraNames"]
    assert view.title == "Neighbourhood of creator:c"
    assert page == ego_view(nodes, edges, center="creator:c", hops=2, max_nodes=5).html()


def test_ego_unknown_center() -> None:
    nodes, edges = big_star()
    with pytest.raises(InputError, match=r"center 'creator:nope' is not a node key"):
        ego_view(nodes, edges, center="creator:nope")


def test_safe_filename() -> None:
    assert safe_filename("ring_00ff") == "ring_00ff"
    seen = set()
    for s in [
        "../../etc/passwd",
        "..",
        ".",
        "",
        "a/b",
        "a\\b",
        "a b",
        "a_b",
        "ü",
        XSS,
        "C:x",
        "x" * 500,
    ]:
        out = safe_filename(s)
        assert re.fullmatch(r"[A-Za-z0-9_-]{1,80}", out), (s, out)
        assert out not in seen
        seen.add(out)
    assert safe_filename("a/b") != safe_filename("a_b")
    # known answers: safe characters kept, '-' + 12 hex digits of the input's SHA-256
    # (so the same id always names the same file, in every run and process)
    assert safe_filename("a/b") == "a_b-c14cddc033f6"
    assert safe_filename("../../etc/passwd") == "etc_passwd-3754d6cb3a38"
    assert safe_filename("") == "e3b0c44298fc"
    assert ring_filename("ring_0123456789abcdef") == "ring_0123456789abcdef.html"
    assert ring_filename("7") == "ring_7.html"
    assert re.fullmatch(r"ring_[A-Za-z0-9_-]+\.html", ring_filename("../../x"))
    with pytest.raises(ConfigError):
        safe_filename("x", max_len=3)


def test_report_content_and_links() -> None:
    rings = pl.DataFrame(
        {
            "ring_id": ["ring_a", "ring_b", "ring_c"],
            "pattern": ["brushing", "mutual_boost", "brushing"],
            "risk_score": [55.0, 91.0, None],
            "members": [["creator:1", "creator:2"], ["creator:3"] * 7, ["buyer:1"] * 30],
            "reasons": [["lockstep", "shared_device", "dense", "extra"], [], None],
        }
    )
    queue = pl.DataFrame(
        {
            "ring_id": ["ring_b", "ring_b", "ring_a"],
            "action": ["suspend", "manual_review", "suspend"],
            "market": ["DE", None, "FR"],
        }
    )
    entities = pl.DataFrame({"entity_type": ["creator", "buyer"], "risk_score": [10.0, 95.0]})
    page = run_report(
        rings,
        queue,
        entities=entities,
        run_info={"run_id": "r1", "timings": {"detect": 1.5}},
        diff={"new": ["ring_b"], "gone": ["ring_zz"], "queue": {"added": 2, "removed": 1}},
    )
    rows = re.findall(r'<a class="ring-link" href="([^"]+)">([^<]+)</a>', page)
    assert rows == [
        ("ring_b.html", "ring_b"),
        ("ring_a.html", "ring_a"),
        ("ring_c.html", "ring_c"),
    ]
    assert "lockstep, shared_device, dense" in page and "extra" not in page
    assert '<a href="ring_b.html">ring_b</a>' in page  # diff links to an existing view
    assert "<li>ring_zz</li>" in page  # gone: no view to link to
    assert page.count("<svg") == 6  # ring risk, pattern, size, entity risk, type, action
    assert "(none)" in page  # null market
    assert '{"detect": 1.5}' in htmllib.unescape(page)
    scripts = re.findall(r"^<script>(.*?)</script>$", page, re.S | re.M)
    assert re.findall(r"'sha256-[^']+'", csp_of(page)) == [script_hash(t) for t in scripts]
    assert run_report(rings, queue) == run_report(rings, queue)
    only = run_report(rings, queue, linked_rings=["ring_a"])
    assert re.findall(r'class="ring-link" href="([^"]+)"', only) == ["ring_a.html"]


def test_report_hostile() -> None:
    rings, queue, diff, run_info = hostile_report_frames()
    page = run_report(rings, queue, diff=diff, run_info=run_info, title=XSS_SCRIPT)
    for payload in [XSS, XSS_SCRIPT, "<svg onload"]:
        assert payload not in page
    assert len(SCRIPT_OPEN.findall(page)) == 1
    for href in re.findall(r'href="([^"]*)"', page):
        assert re.fullmatch(r"ring_[A-Za-z0-9_-]+\.html", href), href


def test_report_bad_input(tmp_path: Path) -> None:
    with pytest.raises(SchemaError, match="'ring_id'"):
        run_report(pl.DataFrame({"id": [1]}), pl.DataFrame())
    with pytest.raises(ConfigError, match="diff"):
        run_report(pl.DataFrame({"ring_id": ["a"]}), pl.DataFrame(), diff=["a"])  # type: ignore[arg-type]
    p = write_run_report(
        tmp_path / "viz" / "index.html", pl.DataFrame({"ring_id": ["a"]}), pl.DataFrame()
    )
    assert p.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_xss_helpers_cover_every_field() -> None:
    nodes, edges, evidence = hostile_frames()
    assert XSS in nodes["node_type"].to_list()
    assert XSS in nodes.columns and XSS_SCRIPT in nodes.columns
    assert evidence.columns[0] == XSS


def test_extra_columns_named_like_internals() -> None:
    nodes = pl.DataFrame({"key": ["a:1", "a:2"], "_nid": ["n1", "n2"], "_x0": [1.5, None]})
    edges = pl.DataFrame({"src": ["a:1"], "dst": ["a:2"]})
    data = data_block(ring_view(nodes, edges, title="t").html())
    assert data["extraNames"] == ["_nid", "_x0"]
    assert [i[6] for i in data["info"]] == [["n1", "1.5"], ["n2", ""]]
    assert [i[1] for i in data["info"]] == ["1", "2"]
