"""Attacker-written data through a whole ``ringlens score`` run and ``ringlens explore``.

One run on events whose every string field carries a payload (script, markup, spreadsheet
formulas, SQL, path traversal), with a planted lockstep ring in an organic background (the
detectors find a ring only when it is improbable against the rest of the data, see
``tests/_background.py``) so the payloads reach the ring, the queue, every sink and the
views:

* HTML (``viz/index.html``, ``viz/ring_*.html``, explore views): no payload appears raw;
  each member id appears escaped; parsing the page as a browser does finds no element,
  event-handler attribute or ``javascript:`` URL that the template did not put there
  (the viz tests run the pages in headless Chromium; this is the raw-HTML check);
* ``queue.csv``: no text cell starts with ``= + - @ \\t \\r`` (they get a leading ``'``);
  ``queue.jsonl``, ``queue.parquet`` and the SQLite queue keep the ids exactly;
* SQL metacharacters in ids reach SQLite (and PostgreSQL when the export tests' throwaway
  server can start) as data, across a re-run (update path) too;
* ids and ring ids with ``/``, ``\\`` and ``..`` never make a file outside the run folder.
"""

from __future__ import annotations

import csv
import html
import json
import os
import sqlite3
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import polars as pl
import pytest

# the export tests' throwaway PostgreSQL server: it skips without PostgreSQL binaries and
# fails instead when RINGLENS_REQUIRE_POSTGRES=1 (CI)
from .._background import with_background
from ..export.conftest import pg_server, pg_url  # noqa: F401
from ._runner import run_cli

T0 = datetime(2024, 5, 1, tzinfo=UTC)
XSS = [
    "<img src=x onerror=alert(1)>",
    "</script><script>alert(2)</script>",
    '"><svg onload=alert(3)>',
    "javascript:alert(4)",
    "'-alert(5)-'{{7*7}}&amp;<!--",
    "<a href=javascript:alert(9)>x</a>",
]
FORMULAS = ['=HYPERLINK("http://evil","x")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=2"]
SQL = ["'; DROP TABLE queue_items;--", '" OR 1=1 --', "50%_\\", "x'); DELETE FROM queue_runs;--"]
PATHS = ["../../escape", "a/b\\c", "/etc/passwd", "..", "..\\..\\win"]
RING = XSS + FORMULAS + SQL + PATHS
PRODUCTS = ["<b>p1</b>", "=cmd|' /C calc'!A0", "../../../etc/passwd"]
# types and actions may not contain ':' (node keys are type:id), so no javascript: here
XSS_TYPE = "<img src=x onerror=alert(6)>"
XSS_ACTION = "<script>alert(7)</script>"


def hostile_events() -> pl.DataFrame:
    rows = []
    for burst in range(2):
        for k, a in enumerate(RING):
            for p in PRODUCTS:
                ts = T0 + timedelta(days=7 * burst, seconds=20 * k)
                rows.append(("buyer", a, "product", p, "order", ts, 1.0, "<i>US</i>"))
    for i, p in enumerate(PRODUCTS):  # context around the ring's products
        ts = T0 + timedelta(days=3, hours=i)
        rows.append((XSS_TYPE, f"<s>{i}</s>", "product", p, XSS_ACTION, ts, None, "=1+2"))
    rows.append(("buyer", RING[0], "<svg onload=alert(8)>", "dev<script>", "login", T0, None, None))
    cols = ["actor_type", "actor_id", "target_type", "target_id", "action", "ts", "amount"]
    events = pl.DataFrame(rows, schema=[*cols, "market"], orient="row").with_columns(
        pl.col("ts").cast(pl.Datetime("us", "UTC"))
    )
    return with_background(events, targets=PRODUCTS)


def hostile_entities() -> pl.DataFrame:
    n = len(RING)
    return pl.DataFrame(
        {
            "entity_type": ["buyer"] * n,
            "entity_id": RING,
            "display_name": [f"<script>alert('dn{i}')</script>" for i in range(n)],
            "market": ["<b>DE</b>"] * n,
            "created_at": [T0 - timedelta(days=5)] * n,
        }
    )


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hostile")
    (root / "in").mkdir()
    hostile_events().write_parquet(root / "in" / "events.parquet")
    hostile_entities().write_parquet(root / "in" / "entities.parquet")
    out = root / "out"
    args = ["-q", "score", str(root / "in" / "events.parquet"), "--out", str(out)]
    o = run_cli([*args, "--entities", str(root / "in" / "entities.parquet"), "--json"])
    assert o.exit_code == 0, o.stderr
    counts = json.loads(o.stdout)["counts"]
    assert counts["rings"] >= 1 and counts["queue"] >= len(RING), counts
    return out


# --------------------------------------------------------------------------- HTML
class _Tags(HTMLParser):
    """Every element and attribute as a browser's tokenizer sees them (script is raw text)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def _tags(text: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    p = _Tags()
    p.feed(text)
    p.close()
    return p.tags


def _json_escaped(s: str) -> str:
    """How Jinja's ``tojson`` writes a string into a page."""
    return (
        json.dumps(s)
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("'", "\\u0027")
    )


def _escaped_forms(s: str) -> tuple[str, ...]:
    js = _json_escaped(s)[1:-1]
    return (js, js.replace("\\u0027", "'"), html.escape(s), html.escape(s, quote=False))


def assert_page_safe(page: Path) -> str:
    text = page.read_text("utf-8")
    # "javascript:alert(4)" is harmless text in the page's JSON; as a URL it is caught below
    for p in [
        *(x for x in XSS if "<" in x or '"' in x),
        XSS_TYPE,
        XSS_ACTION,
        "<svg onload=alert(8)>",
        "<b>DE</b>",
        "<i>US</i>",
    ]:
        assert p not in text, (page.name, p)
    for i in range(len(RING)):
        assert f"<script>alert('dn{i}')</script>" not in text, page.name
    for tag, attrs in _tags(text):
        assert (
            tag not in ("img", "iframe", "object", "embed", "a")
            or not attrs
            or all(not (v or "").lower().lstrip().startswith("javascript:") for _, v in attrs)
        ), (page.name, tag, attrs)
        assert tag not in ("img", "iframe", "object", "embed"), (page.name, tag, attrs)
        for name, value in attrs:
            assert not name.lower().startswith("on"), (page.name, tag, name, value)
            assert "javascript:" not in (value or "").lower(), (page.name, tag, name, value)
    return text


def test_views_escape_every_payload(hostile_run: Path) -> None:
    viz = hostile_run / "viz"
    rings = sorted(viz.glob("ring_*.html"))
    assert rings, "no ring view written"
    index = assert_page_safe(viz / "index.html")
    benign_scripts = None
    for page in rings:
        text = assert_page_safe(page)
        # the payloads are in the page, as data: every ring member id, escaped
        for member in RING:
            assert any(form in text for form in _escaped_forms(member)), member
        n_scripts = sum(tag == "script" for tag, _ in _tags(text))
        benign_scripts = benign_scripts or n_scripts
        assert n_scripts == benign_scripts
    assert "ring_" in index


def test_script_count_matches_a_benign_run(hostile_run: Path, tmp_path: Path) -> None:
    """A payload that broke out of its JSON would add <script> elements."""
    benign = hostile_events().with_columns(
        pl.col("actor_id").rank("dense").cast(pl.String),
        pl.col("target_id").rank("dense").cast(pl.String),
        pl.col("actor_type").replace({XSS_TYPE: "creator"}),
        pl.col("target_type").replace({"<svg onload=alert(8)>": "device"}),
        pl.col("action").replace({XSS_ACTION: "like"}),
    )
    benign.write_parquet(tmp_path / "events.parquet")
    o = run_cli(["-q", "score", str(tmp_path / "events.parquet"), "--out", str(tmp_path / "o")])
    assert o.exit_code == 0, o.stderr
    for name in ("index.html",):
        ours = _tags((hostile_run / "viz" / name).read_text("utf-8"))
        theirs = _tags((tmp_path / "o" / "viz" / name).read_text("utf-8"))
        assert [t for t, _ in ours if t == "script"] == [t for t, _ in theirs if t == "script"]
    ours = _tags(next((hostile_run / "viz").glob("ring_*.html")).read_text("utf-8"))
    theirs = _tags(next((tmp_path / "o" / "viz").glob("ring_*.html")).read_text("utf-8"))
    assert sorted({t for t, _ in ours}) == sorted({t for t, _ in theirs})
    assert sum(t == "script" for t, _ in ours) == sum(t == "script" for t, _ in theirs)


def test_explore_views_escape_and_stay_in_the_run_folder(hostile_run: Path) -> None:
    root = hostile_run.parent
    before = _files(root)
    for member in ("../../escape", "/etc/passwd", RING[0], "a/b\\c"):
        o = run_cli(["-q", "explore", str(hostile_run), "--entity", f"buyer:{member}"])
        assert o.exit_code == 0, (member, o.stderr)
    new = _files(root) - before
    assert len(new) == 4, new
    for p in new:
        assert p.parent == (hostile_run / "explore").resolve(), p
        assert p.name.startswith("ego_") and p.suffix == ".html", p
        assert_page_safe(p)
    assert_inside(root, hostile_run)


# --------------------------------------------------------------------------- CSV, JSONL, Parquet
def test_queue_csv_defuses_formulas(hostile_run: Path) -> None:
    with (hostile_run / "queue.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert rows
    for row in rows:
        for cell in row.values():
            if cell and cell[0] in "=+-@\t\r":
                float(cell)  # only numbers may start like a formula
    ids = {r["entity_id"] for r in rows if r["entity_type"] == "buyer"}
    for member in RING:
        want = "'" + member if member[0] in "=+-@\t\r" else member
        assert want in ids, (member, want)
    q = pl.read_parquet(hostile_run / "queue.parquet")
    assert set(RING) <= set(q["entity_id"].to_list())
    jl = [
        json.loads(line) for line in (hostile_run / "queue.jsonl").read_text("utf-8").splitlines()
    ]
    assert set(RING) <= {r["entity_id"] for r in jl}


# --------------------------------------------------------------------------- SQL
def _sqlite_ids(db: Path) -> tuple[set[str], set[str]]:
    with sqlite3.connect(db) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        ids = {r[0] for r in conn.execute("SELECT entity_id FROM queue_items")}
    return tables, ids


def test_sql_metacharacters_are_data_in_sqlite(hostile_run: Path, tmp_path: Path) -> None:
    tables, ids = _sqlite_ids(hostile_run / "queue.sqlite")
    assert {"queue_items", "queue_runs"} <= tables
    assert set(RING) <= ids
    # a re-run goes through the update path with the same ids
    db = tmp_path / "q.sqlite"
    events = hostile_run.parent / "in" / "events.parquet"
    for _ in range(2):
        o = run_cli(
            ["-q", "score", str(events), "--out", str(tmp_path / "o"), "--database", str(db)]
            + ["--json", "--no-views"]
        )
        assert o.exit_code == 0, o.stderr
    rep = json.loads(o.stdout)["database"]
    assert rep["inserted"] == 0 and rep["updated"] + rep["unchanged"] >= len(RING), rep
    tables2, ids2 = _sqlite_ids(db)
    assert tables2 >= {"queue_items", "queue_runs"} and set(RING) <= ids2


@pytest.mark.postgres
def test_sql_metacharacters_are_data_in_postgres(
    hostile_run: Path,
    tmp_path: Path,
    pg_url: str,  # noqa: F811
) -> None:
    from ringlens.export import open_queue_store

    events = hostile_run.parent / "in" / "events.parquet"
    for _ in range(2):
        o = run_cli(
            ["-q", "score", str(events), "--out", str(tmp_path / "o"), "--database", pg_url]
            + ["--no-views"]
        )
        assert o.exit_code == 0, o.stderr
    with open_queue_store(pg_url) as store:
        ids = set(store.read()["entity_id"].to_list())
    assert set(RING) <= ids


# --------------------------------------------------------------------------- paths
def _files(root: Path) -> set[Path]:
    return {Path(d, f).resolve() for d, _, fs in os.walk(root) for f in fs}


def assert_inside(root: Path, out: Path) -> None:
    """Every file and link under ``root`` is inside ``out`` or the input folder; links in
    ``out`` point inside ``out``."""
    allowed = (out.resolve(), (root / "in").resolve())
    for d, dirs, fs in os.walk(root):
        for name in [*dirs, *fs]:
            p = Path(d, name)
            assert p.resolve().is_relative_to(allowed[0]) or p.resolve().is_relative_to(
                allowed[1]
            ), p
            if p.is_symlink():
                assert p.resolve().is_relative_to(out.resolve()), (p, os.readlink(p))


def test_no_file_outside_the_run_folder(hostile_run: Path) -> None:
    root = hostile_run.parent
    assert_inside(root, hostile_run)
    names = [p.name for p in (hostile_run / "viz").iterdir()]
    for n in names:
        assert "/" not in n and "\\" not in n and ".." not in n.removesuffix(".html"), n


def test_hostile_ring_id_in_explore(hostile_run: Path, tmp_path: Path) -> None:
    """A rings.parquet whose ring ids are paths: explore --ring writes inside RUN/explore."""
    import shutil

    run = tmp_path / "run"
    shutil.copytree(hostile_run, run, symlinks=False)  # a plain copy we may edit
    rings = pl.read_parquet(run / "rings.parquet")
    evil = ["../../../evil", "/tmp/evil", "..\\..\\evil", "ring_../x", ".."]
    rings = pl.concat([rings.with_columns(pl.lit(r).alias("ring_id")) for r in evil])
    rings.write_parquet(run / "rings.parquet")
    before = _files(tmp_path)
    for r in evil:
        o = run_cli(["-q", "explore", str(run), "--ring", r])
        assert o.exit_code == 0, (r, o.stderr)
    new = _files(tmp_path) - before
    assert len(new) == len(evil), new
    for p in new:
        assert p.parent == (run / "explore").resolve(), p
        assert_page_safe(p)
    assert not Path("/tmp/evil").exists() and not (tmp_path.parent / "evil").exists()
