"""The workbench application: Starlette routes over a :class:`Workspace`.

Pages are rendered server-side with the views' own Jinja templates (autoescaped; data in
scripts only through one JSON block, read with ``textContent``); the ring and entity pages
extend ``ring.html.j2``. Database and file work runs in worker threads, each with its own
queue connection. Every error is a plain page with its HTTP status (400 bad filter or page
number, 401/403 refused, 404 unknown ring, entity or item, 409 changed since read, 503
database unreachable), never a traceback.
"""

from __future__ import annotations

import datetime as _dt
import functools
import hmac
import logging
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import jinja2
import polars as pl
from markupsafe import Markup
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from ringlens.calibrate.core import run_health
from ringlens.calibrate.health import health_html
from ringlens.exceptions import ConfigError, ExportError, InputError, RinglensError
from ringlens.export import STATUSES, QueueConflictError, QueueFilter
from ringlens.graph import build_graph
from ringlens.serve.security import Guard
from ringlens.serve.workspace import Workspace
from ringlens.viz.assets import own_script, script_hash, viz_template_dir
from ringlens.viz.evidence import (
    RunFolder,
    ego_events,
    ego_frames,
    ring_bursts,
    ring_events,
    ring_page,
)
from ringlens.viz.ring import ring_view_context, safe_href

__all__ = ["create_app", "PAGE_SIZE"]

log = logging.getLogger(__name__)

#: Items per queue page.
PAGE_SIZE = 50
#: Queue counts stop here ("2,000+ items"): a filtered page never counts a whole huge
#: queue; the pages past it are still reachable with "next".
COUNT_CAP = 2_000
_MAX_PAGE = 1_000_000
_TEMPLATES = Path(__file__).parent / "templates"
_REVIEWER_COOKIE = "rl_reviewer"
_NAME = re.compile(r"^[^\x00-\x1f\x7f]{1,100}$")
_NEXT = re.compile(r"^/[A-Za-z0-9_\-./?=&%:+~]*$")
_ORDERS = ("priority", "risk", "entity", "status", "updated")


class Problem(Exception):
    """An answer other than 200: a status and one line for the error page."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@functools.lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.ChoiceLoader(
            [jinja2.FileSystemLoader(str(_TEMPLATES)), jinja2.FileSystemLoader(viz_template_dir())]
        ),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )


@functools.lru_cache(maxsize=4)
def _script(name: str) -> str:
    return (_TEMPLATES / name).read_text("utf-8")


def _csp(*scripts: str) -> str:
    hashes = " ".join(script_hash(s) for s in scripts) or "'none'"
    return (
        f"default-src 'none'; script-src {hashes}; style-src 'unsafe-inline'; "
        "img-src data:; connect-src 'self'; form-action 'self'; base-uri 'none'; "
        "frame-ancestors 'none'"
    )


def _page(
    name: str, ctx: dict[str, Any], *, status: int = 200, scripts: tuple[str, ...] = ()
) -> HTMLResponse:
    html = _env().get_template(name).render(**ctx)
    return HTMLResponse(
        html, status_code=status, headers={"content-security-policy": _csp(*scripts)}
    )


# --------------------------------------------------------------------------- parsing
def _one(request: Request, name: str) -> str | None:
    values = request.query_params.getlist(name)
    if len(values) > 1:
        raise Problem(400, f"parameter {name!r} given {len(values)} times (expected once)")
    v = values[0].strip() if values else None
    if v is not None and len(v) > 1000:
        raise Problem(400, f"parameter {name!r} is too long (at most 1,000 characters)")
    return v or None


def _int(request: Request, name: str, default: int, lo: int, hi: int) -> int:
    raw = _one(request, name)
    if raw is None:
        return default
    if not re.fullmatch(r"\d{1,9}", raw) or not lo <= int(raw) <= hi:
        raise Problem(
            400, f"parameter {name!r} must be a whole number from {lo} to {hi:,}, not {raw!r}"
        )
    return int(raw)


def _float(request: Request, name: str, lo: float, hi: float) -> float | None:
    raw = _one(request, name)
    if raw is None:
        return None
    try:
        v = float(raw)
    except ValueError:
        v = math.nan
    if not math.isfinite(v) or not lo <= v <= hi:
        raise Problem(
            400, f"parameter {name!r} must be a number from {lo:g} to {hi:g}, not {raw!r}"
        )
    return v


def _time(request: Request, name: str) -> _dt.datetime | None:
    raw = _one(request, name)
    if raw is None:
        return None
    try:
        t = _dt.datetime.fromisoformat(raw)
    except ValueError:
        raise Problem(
            400,
            f"parameter {name!r} must be a date or time like 2024-05-01 or 2024-05-01T12:00, not {raw!r}",
        ) from None
    return t if t.tzinfo else t.replace(tzinfo=_dt.UTC)


def _queue_filter(
    request: Request, values: dict[str, list[str]]
) -> tuple[QueueFilter, dict[str, str]]:
    f: dict[str, Any] = {}
    shown: dict[str, str] = {}
    for name in ("status", "pattern", "market", "action", "assignee", "run", "ring", "entity"):
        v = _one(request, name)
        if v is None:
            continue
        shown[name] = v
        if name == "status" and v not in STATUSES:
            raise Problem(400, f"unknown status {v!r} (expected one of {', '.join(STATUSES)})")
        key = {"run": "run_id", "ring": "ring_id"}.get(name, name)
        f[key] = "" if v == "(none)" else v
    stale = _one(request, "stale")
    if stale is not None:
        if stale not in ("yes", "no"):
            raise Problem(400, f"parameter 'stale' must be yes or no, not {stale!r}")
        f["stale"] = stale == "yes"
        shown["stale"] = stale
    for name in ("risk_min", "risk_max"):
        x = _float(request, name, 0.0, 100.0)
        if x is not None:
            f[name] = x
            shown[name] = _one(request, name) or ""
    return QueueFilter(**f), shown


async def _form(request: Request) -> dict[str, list[str]]:
    ctype = request.headers.get("content-type", "").split(";")[0].strip()
    if ctype != "application/x-www-form-urlencoded":
        raise Problem(415, "expected a form (application/x-www-form-urlencoded)")
    body = await request.body()
    if len(body) > 1_000_000:
        raise Problem(413, "form too large")
    out: dict[str, list[str]] = {}
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError:
        raise Problem(400, "form is not UTF-8") from None
    for k, v in pairs:
        out.setdefault(k, []).append(v)
    return out


def _check_csrf(request: Request, form: dict[str, list[str]]) -> None:
    expected = request.scope.get("state", {}).get("csrf", "")
    given = (form.get("csrf") or [""])[0]
    ok = bool(given) and hmac.compare_digest(given.encode(), expected.encode())
    if not ok and not request.scope.get("state", {}).get("csrf_header_ok"):
        raise Problem(
            403, "CSRF token missing or wrong: reload the page and try again (nothing was written)"
        )


# --------------------------------------------------------------------------- app
def create_app(
    ws: Workspace,
    *,
    token: str | None = None,
    loopback_only: bool = True,
    reviewer: str | None = None,
) -> Starlette:
    """The workbench over ``ws`` (see :mod:`ringlens.serve`)."""
    wb = _Workbench(ws, default_reviewer=reviewer)
    routes = [
        Route("/", wb.queue_page),
        Route("/search", wb.search),
        Route("/ring/{ring_id:path}", wb.ring),
        Route("/entity/{key:path}", wb.entity),
        Route("/item/{qid:path}", wb.item),
        Route("/api/expand", wb.expand),
        Route("/history", wb.history_page),
        Route("/health", wb.health),
        Route("/review", wb.review, methods=["POST"]),
        Route("/reviewer", wb.set_reviewer, methods=["POST"]),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(Guard, token=token, loopback_only=loopback_only)],
        exception_handlers={Problem: wb.problem, HTTPException: wb.problem, Exception: wb.crash},
    )
    app.state.workspace = ws
    return app


async def _in_thread(fn: Callable[[], Any]) -> Any:
    """Run ``fn`` in a worker thread; its ringlens errors become :class:`Problem` pages."""
    try:
        return await run_in_threadpool(fn)
    except Problem:
        raise
    except QueueConflictError as exc:
        raise Problem(409, str(exc)) from exc
    except ExportError as exc:
        raise Problem(
            503 if "connect" in str(exc) or "locked" in str(exc) else 400, str(exc)
        ) from exc
    except InputError as exc:
        raise Problem(
            404 if "unknown" in str(exc) or "no ring" in str(exc) else 400, str(exc)
        ) from exc
    except RinglensError as exc:
        raise Problem(400, str(exc)) from exc


class _Workbench:
    """The route handlers of one workbench: the workspace and the default reviewer."""

    def __init__(self, ws: Workspace, *, default_reviewer: str | None) -> None:
        self.ws = ws
        self.default_reviewer = default_reviewer

    def base(self, request: Request, **ctx: Any) -> dict[str, Any]:
        """The context every page has (CSRF token, reviewer, latest run, database, path)."""
        ws = self.ws
        latest = ws.latest()
        return {
            "csrf": request.scope.get("state", {}).get("csrf", ""),
            "reviewer": request.cookies.get(_REVIEWER_COOKIE) or self.default_reviewer or "",
            "latest_run": latest.run_id if latest else None,
            "database": ws.database if "://" not in ws.database else ws.database.split("@")[-1],
            "path": request.url.path + (("?" + request.url.query) if request.url.query else ""),
            **ctx,
        }

    # ------------------------------------------------------------------ queue
    async def queue_page(self, request: Request) -> Response:
        flt, shown = _queue_filter(request, {})
        page = _int(request, "page", 1, 1, _MAX_PAGE)
        order = _one(request, "sort") or "priority"
        if order not in _ORDERS:
            raise Problem(400, f"unknown sort {order!r} (expected one of {', '.join(_ORDERS)})")

        offset = (page - 1) * PAGE_SIZE
        data = await _in_thread(lambda: _queue_data(self.ws, flt, order, offset))
        capped = data["total"] >= COUNT_CAP and data["more"]
        pages = max(1, math.ceil(data["total"] / PAGE_SIZE))
        if not data["items"] and page > 1:
            last = f" ({pages:,})" if not capped else ""
            raise Problem(400, f"page {page:,} is past the last page{last}")
        keep = {k: v for k, v in shown.items()}
        if order != "priority":
            keep["sort"] = order

        def link(**change: Any) -> str:
            q = {**keep, **{k: str(v) for k, v in change.items() if v is not None}}
            return "/?" + urlencode(q) if q else "/"

        return _page(
            "queue.html.j2",
            self.base(
                request,
                title="Queue",
                shown=shown,
                order=order,
                orders=_ORDERS,
                page=page,
                pages=pages,
                capped=capped,
                prev_link=link(page=page - 1) if page > 1 else None,
                next_link=link(page=page + 1) if data["more"] else None,
                statuses=STATUSES,
                queue_js=Markup(_script("queue.js")),
                **{k: v for k, v in data.items() if k != "more"},
            ),
            scripts=(_script("queue.js"),),
        )

    # ------------------------------------------------------------------ health
    async def health(self, request: Request) -> Response:
        """The health dashboard (``ringlens calibrate``'s page) over the queue database and
        the runs this workbench sees, oldest first: precision over runs per pattern and
        market, queue volume against capacity, the verdict backlog, input drift."""

        def work() -> str:
            runs = [r.path for r in self.ws.generations()][::-1]
            if not runs:
                raise Problem(404, "no run to show the health of")
            with self.ws.store() as st:
                items, hist, qruns = st.read(), st.history(), st.runs()
            rep = run_health(
                runs, items=items, history=hist, queue_runs=qruns, config=self.ws.config
            )
            return health_html(rep, title="ringlens health · workbench")

        html = await _in_thread(work)
        return HTMLResponse(
            html, headers={"content-security-policy": _csp(own_script("report.js"))}
        )

    # ------------------------------------------------------------------ search
    async def search(self, request: Request) -> Response:
        q = _one(request, "q") or ""

        def work() -> dict[str, Any]:
            run = self.ws.latest()
            return _search(self.ws, run, q)

        data = await _in_thread(work) if q else {"entities": [], "rings": [], "items": []}
        if q and len(data["entities"]) + len(data["rings"]) + len(data["items"]) == 1:
            only = (data["entities"] or data["rings"] or data["items"])[0]
            return RedirectResponse(only["href"], status_code=303)
        return _page("search.html.j2", self.base(request, title=f"Search {q}", q=q, **data))

    # ------------------------------------------------------------------ ring
    async def ring(self, request: Request) -> Response:
        ring_id = request.path_params["ring_id"]
        run_id = _one(request, "run")
        t0, t1 = _time(request, "from"), _time(request, "to")
        ctx = await _in_thread(lambda: _ring_or_stale_context(self.ws, ring_id, run_id, t0, t1))
        return _render_view(request, self.base, ctx)

    # ------------------------------------------------------------------ entity
    async def entity(self, request: Request) -> Response:
        key = request.path_params["key"]
        run_id = _one(request, "run")
        hops = _int(request, "hops", 2, 1, 4)
        cap = _int(request, "max_nodes", self.ws.config.viz.max_nodes, 1, 5000)
        t0, t1 = _time(request, "from"), _time(request, "to")

        if ":" not in key:
            raise Problem(404, f"unknown entity {key!r} (expected type:id)")
        ctx = await _in_thread(lambda: _entity_context(self.ws, key, run_id, hops, cap, t0, t1))
        return _render_view(request, self.base, ctx)

    # ------------------------------------------------------------------ expand (JSON)
    async def expand(self, request: Request) -> Response:
        key = _one(request, "key")
        if key is None or ":" not in key:
            raise Problem(400, "parameter 'key' must be a node key type:id")
        run_id = _one(request, "run")
        cap = _int(request, "max_nodes", self.ws.config.viz.max_nodes, 1, 5000)
        t0, t1 = _time(request, "from"), _time(request, "to")
        try:
            data = await _in_thread(lambda: _expand_data(self.ws, key, run_id, cap, t0, t1))
        except Problem as p:
            return JSONResponse({"error": p.message}, status_code=p.status)
        return JSONResponse(data)

    # ------------------------------------------------------------------ verdicts
    async def review(self, request: Request) -> Response:
        form = await _form(request)
        _check_csrf(request, form)
        v = _verdict(request, form, self.default_reviewer)

        def work() -> Any:
            with self.ws.store() as st:
                return st.review(
                    None if v.ring_id else v.ids,
                    ring_id=v.ring_id,
                    status=v.status,
                    assignee=v.assignee,
                    note=v.note,
                    actor=v.actor,
                    if_unchanged_since=v.since,
                )

        res = await _in_thread(work)
        sep = "&" if "?" in v.next_url else "?"
        resp = RedirectResponse(f"{v.next_url}{sep}done={res.changed}", status_code=303)
        resp.set_cookie(_REVIEWER_COOKIE, v.actor, httponly=True, samesite="strict", path="/")
        return resp

    async def set_reviewer(self, request: Request) -> Response:
        form = await _form(request)
        _check_csrf(request, form)
        name = ((form.get("reviewer") or [""])[0]).strip()
        if not _NAME.match(name):
            raise Problem(400, "a reviewer name is 1 to 100 characters without control characters")
        nxt = (form.get("next") or ["/"])[0]
        if not _NEXT.match(nxt) or nxt.startswith("//"):
            nxt = "/"
        resp = RedirectResponse(nxt, status_code=303)
        resp.set_cookie(_REVIEWER_COOKIE, name, httponly=True, samesite="strict", path="/")
        return resp

    async def history_page(self, request: Request) -> Response:
        qid = _one(request, "item")
        ring_id = _one(request, "ring")

        def work() -> pl.DataFrame:
            with self.ws.store() as st:
                return st.history(queue_item_id=qid, ring_id=ring_id)

        h = await _in_thread(work)
        rows = h.sort("audit_id", descending=True).head(2000).to_dicts()
        return _page(
            "history.html.j2",
            self.base(request, title="History", rows=rows, total=h.height, item=qid, ring=ring_id),
        )

    async def item(self, request: Request) -> Response:
        qid = request.path_params["qid"]

        def work() -> pl.DataFrame:
            with self.ws.store() as st:
                return st.query(QueueFilter(queue_item_id=qid), limit=1)

        rows = await _in_thread(work)
        if rows.height == 0:
            raise Problem(404, f"unknown queue item {qid!r}")
        r = rows.row(0, named=True)
        if r["ring_id"]:
            return RedirectResponse("/ring/" + _q(r["ring_id"]), status_code=303)
        return RedirectResponse(
            "/entity/" + _q(f"{r['entity_type']}:{r['entity_id']}"), status_code=303
        )

    # ------------------------------------------------------------------ errors
    async def problem(self, request: Request, exc: Exception) -> Response:
        status = exc.status if isinstance(exc, Problem) else getattr(exc, "status_code", 500)
        message = exc.message if isinstance(exc, Problem) else getattr(exc, "detail", "error")
        return _page(
            "error.html.j2",
            self.base(request, title=str(status), status=status, message=message),
            status=status,
        )

    async def crash(self, request: Request, exc: Exception) -> Response:
        log.error("internal error on %s", request.url.path, exc_info=exc)
        return _page(
            "error.html.j2",
            self.base(
                request,
                title="500",
                status=500,
                message="internal error (the server log has the details)",
            ),
            status=500,
        )


# --------------------------------------------------------------------------- page data
def _queue_data(ws: Workspace, flt: QueueFilter, order: str, offset: int) -> dict[str, Any]:
    """One queue page's items (with display names), its total (capped) and the facets."""
    with ws.store() as st:
        since = st.last_audit_id()  # before the rows: a verdict on them is newer
        rows = st.query(flt, order=order, limit=PAGE_SIZE + 1, offset=offset)
        more = rows.height > PAGE_SIZE
        rows = rows.head(PAGE_SIZE)
        # the last page counts itself; else count, up to the cap
        total = offset + rows.height if not more and rows.height else None
        if total is None:
            total = st.count(flt, cap=COUNT_CAP)
        values = ws.facets(st)
    names = _names(ws.latest(), rows)
    items = []
    for r in rows.iter_rows(named=True):
        key = f"{r['entity_type']}:{r['entity_id']}"
        items.append(
            {
                **r,
                "key": key,
                "name": names.get(key, ""),
                "reasons": ", ".join((r["reasons"] or [])[:3]),
            }
        )
    return {
        "items": items,
        "total": total,
        "since": since,
        "values": values,
        "more": more,
    }


def _ring_or_stale_context(
    ws: Workspace,
    ring_id: str,
    run_id: str | None,
    t0: _dt.datetime | None,
    t1: _dt.datetime | None,
) -> dict[str, Any]:
    """The ring page's context: the ring in its run, or a stale ring (in no run any more
    but with items still in the queue) drawn from the latest run."""
    run = ws.find_ring(ring_id, run_id)
    stale_members: list[str] | None = None
    with ws.store() as st:
        items = st.query(QueueFilter(ring_id=ring_id), order="priority", limit=10_000)
        since = st.last_audit_id()
        history = st.history(ring_id=ring_id)
    if run is None:
        if run_id and ws.run(run_id) is None:
            raise Problem(404, f"unknown run {run_id!r}")
        if items.height == 0:
            raise Problem(404, f"unknown ring {ring_id!r}: in no run and no queue item")
        # a stale ring: its items are still in the queue; draw it from the latest run
        run = ws.latest()
        if run is None:
            raise Problem(404, f"no run folder to draw ring {ring_id!r} from")
        stale_members = [
            f"{t}:{i}" for t, i in zip(items["entity_type"], items["entity_id"], strict=True)
        ]
    return _ring_context(ws, run, ring_id, items, since, history, stale_members, t0, t1)


def _expand_data(
    ws: Workspace,
    key: str,
    run_id: str | None,
    cap: int,
    t0: _dt.datetime | None,
    t1: _dt.datetime | None,
) -> dict[str, Any]:
    """The JSON of ``/api/expand``: ``key``'s one-hop neighbours and their edges."""
    run = ws.run(run_id)
    if run is None:
        raise Problem(404, f"unknown run {run_id!r}")
    g = build_graph(ego_events(_window(run.events(), t0, t1), key, hops=1))
    nodes, edges, note = ego_frames(g, key, hops=1, max_nodes=cap, scored=run.entities)
    links = _ring_links(ws, run)
    return {
        "nodes": [
            {
                "key": r["key"],
                "id": r["node_id"],
                "type": r["node_type"],
                "label": r["label"],
                "risk": r["risk_score"],
                "reasons": r["reasons"],
                "in_ring": r["in_ring"],
                "ring_id": r["ring_id"],
                "ring_href": links.get(r["ring_id"]) if r["ring_id"] else None,
            }
            for r in nodes.iter_rows(named=True)
        ],
        "edges": [
            {
                "src": r["src"],
                "dst": r["dst"],
                "weight": r["weight"],
                "actions": r["actions"],
                "first_ts": str(r["first_ts"]),
                "last_ts": str(r["last_ts"]),
            }
            for r in edges.iter_rows(named=True)
        ],
        "note": note,
    }


@dataclass(frozen=True)
class _Verdict:
    """A checked verdict form: who, what, on which items, and where to go next."""

    actor: str
    status: str | None
    assignee: str | None
    note: str | None
    ring_id: str | None
    ids: list[str]
    since: int
    next_url: str


def _verdict(
    request: Request, form: dict[str, list[str]], default_reviewer: str | None
) -> _Verdict:
    """The verdict a review form asks for; a :class:`Problem` (nothing written) if it is
    incomplete or malformed."""

    def one(name: str) -> str | None:
        v = form.get(name) or []
        if len(v) > 1:
            raise Problem(400, f"field {name!r} given {len(v)} times")
        return v[0] if v else None

    actor = (
        one("reviewer") or request.cookies.get(_REVIEWER_COOKIE) or default_reviewer or ""
    ).strip()
    if not actor or not _NAME.match(actor):
        raise Problem(
            400,
            "say who you are: the reviewer name is missing or has control characters (nothing was written)",
        )
    status = one("status") or None
    if status is not None and status not in STATUSES:
        raise Problem(
            400,
            f"unknown status {status!r} (expected one of {', '.join(STATUSES)}; nothing was written)",
        )
    assignee = one("assignee")
    assignee = None if assignee is None or assignee == "(keep)" else assignee.strip()
    note = (one("note") or "").strip() or None
    ring_id = one("ring_id") if one("scope") in (None, "ring") else None
    ids = form.get("qid") or []
    if one("scope") == "selected" or not ring_id:
        ring_id = None
        if not ids:
            raise Problem(400, "no queue item selected (nothing was written)")
    since_raw = one("since")
    if since_raw is None or not re.fullmatch(r"\d{1,18}", since_raw):
        raise Problem(
            400,
            "the form lacks the page's audit position; reload the page (nothing was written)",
        )
    nxt = one("next") or "/"
    if not _NEXT.match(nxt) or nxt.startswith("//"):
        nxt = "/"
    return _Verdict(actor, status, assignee, note, ring_id, ids, int(since_raw), nxt)


# --------------------------------------------------------------------------- helpers
def _q(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")


def _window(lf: pl.LazyFrame, t0: _dt.datetime | None, t1: _dt.datetime | None) -> pl.LazyFrame:
    if t0 is not None:
        lf = lf.filter(pl.col("ts") >= t0)
    if t1 is not None:
        lf = lf.filter(pl.col("ts") <= t1)
    return lf


def _names(run: RunFolder | None, rows: pl.DataFrame) -> dict[str, str]:
    """Display names of the page's entities (from the run's scored entities)."""
    if run is None or "display_name" not in run.entities.columns or rows.height == 0:
        return {}
    keys = (rows["entity_type"] + ":" + rows["entity_id"]).unique()
    e = run.entities.filter(pl.col("key").is_in(keys.implode())).select("key", "display_name")
    e = e.drop_nulls()
    return dict(zip(e["key"].to_list(), e["display_name"].to_list(), strict=True))


def _ring_links(ws: Workspace, run: RunFolder) -> dict[str, str]:
    """Links to the run's rings; a ring whose id no URL can carry (a ``..`` in it) gets
    none rather than breaking the page."""
    q = urlencode({"run": run.run_id})
    out = {}
    for r in run.rings["ring_id"].to_list():
        href = f"/ring/{_q(r)}?{q}"
        try:
            out[r] = safe_href(href)
        except ConfigError:
            log.warning("no link to ring %r: its id cannot be part of a URL", r)
    return out


def _search(ws: Workspace, run: RunFolder | None, q: str) -> dict[str, Any]:
    low = q.lower()
    entities: list[dict[str, str]] = []
    rings: list[dict[str, str]] = []
    if run is not None:
        ent = run.entities.select(
            "key", *[c for c in ("display_name", "ring_id") if c in run.entities.columns]
        )
        acc = run.accounts
        frames = [
            ent.select(
                "key",
                pl.col("display_name")
                if "display_name" in ent.columns
                else pl.lit(None, pl.String).alias("display_name"),
            )
        ]
        if acc is not None and "display_name" in acc.columns:
            frames.append(
                acc.select(
                    (pl.col("entity_type") + ":" + pl.col("entity_id")).alias("key"),
                    pl.col("display_name").cast(pl.String),
                )
            )
        allent = pl.concat(frames).unique("key", keep="first")
        hit = (
            allent.filter(
                (pl.col("key").str.to_lowercase() == low)
                | pl.col("key").str.to_lowercase().str.contains(low, literal=True)
                | pl.col("display_name").str.to_lowercase().str.contains(low, literal=True)
            )
            .sort("key")
            .head(100)
        )
        for k, n in hit.iter_rows():
            entities.append(
                {
                    "key": k,
                    "name": n or "",
                    "href": f"/entity/{_q(k)}?{urlencode({'run': run.run_id})}",
                }
            )
        rh = run.rings.filter(
            pl.col("ring_id").str.to_lowercase().str.contains(low, literal=True)
        ).head(50)
        for r in rh.iter_rows(named=True):
            rings.append(
                {
                    "ring_id": r["ring_id"],
                    "pattern": r["pattern"],
                    "href": f"/ring/{_q(r['ring_id'])}?{urlencode({'run': run.run_id})}",
                }
            )
        if not entities and ":" in q:  # any node of the run's events, by exact key
            entities.append(
                {"key": q, "name": "", "href": f"/entity/{_q(q)}?{urlencode({'run': run.run_id})}"}
            )
    items = []
    with ws.store() as st:
        for flt in (QueueFilter(queue_item_id=q), QueueFilter(entity=q)):
            for r in st.query(flt, limit=20).iter_rows(named=True):
                items.append(
                    {
                        "qid": r["queue_item_id"],
                        "key": f"{r['entity_type']}:{r['entity_id']}",
                        "status": r["status"],
                        "href": f"/item/{_q(r['queue_item_id'])}",
                    }
                )
    seen: set[str] = set()
    items = [i for i in items if not (i["qid"] in seen or seen.add(i["qid"]))]  # type: ignore[func-returns-value]
    return {"entities": entities, "rings": rings, "items": items}


def _ring_context(
    ws: Workspace,
    run: RunFolder,
    ring_id: str,
    items: pl.DataFrame,
    since: int,
    history: pl.DataFrame,
    stale_members: list[str] | None,
    t0: _dt.datetime | None,
    t1: _dt.datetime | None,
) -> dict[str, Any]:
    rings = run.rings
    if stale_members is not None:
        rings = pl.DataFrame(
            {
                "ring_id": [ring_id],
                "pattern": [items["pattern"][0]],
                "risk_score": [float(items.select(pl.col("risk_score").max()).item())],
                "members": [stale_members],
                "reasons": [[]],
            },
            schema={
                "ring_id": pl.String,
                "pattern": pl.String,
                "risk_score": pl.Float64,
                "members": pl.List(pl.String),
                "reasons": pl.List(pl.String),
            },
        )
    members = rings.filter(pl.col("ring_id") == ring_id)["members"].item().to_list()
    around = run.ring_events() if stale_members is None else None
    lf = _window(around if around is not None else run.events(), t0, t1)
    g = build_graph(ring_events(lf, members))
    bursts = run.bursts  # the run's own (bursts.parquet), else found again in the events
    if bursts is None:
        bursts = ring_bursts(g, families=ws.families(run), spans=ws.spans(run), members=members)
    else:
        if t0 is not None:
            bursts = bursts.filter(pl.col("end") >= t0)
        if t1 is not None:
            bursts = bursts.filter(pl.col("start") <= t1)
    links = _ring_links(ws, run)
    params = {
        "run": run.run_id,
        **({"from": t0.isoformat()} if t0 else {}),
        **({"to": t1.isoformat()} if t1 else {}),
    }
    # with expand= ring_page returns the template context, not a rendered view
    ctx: dict[str, Any] = ring_page(  # type: ignore[assignment]
        rings,
        run.entities,
        g,
        ring_id,
        bursts=bursts,
        accounts=run.accounts,
        queue=items if items.height else run.queue,
        report_href="/",
        ring_href=lambda r: links.get(r),
        expand={"url": "/api/expand", "params": params},
    )
    policy = (
        items.group_by("action", "queue").len().sort("len", descending=True).rows()
        if items.height
        else []
    )
    return {
        **ctx,
        "kind": "ring",
        "ring_id": ring_id,
        "run_id": run.run_id,
        "stale": stale_members is not None,
        "items": items.to_dicts(),
        "since": since,
        "history": history.sort("audit_id", descending=True).head(50).to_dicts(),
        "lineage": ws.lineage(ring_id, run) if stale_members is None else [],
        "policy": policy,
        "t0": t0.isoformat() if t0 else "",
        "t1": t1.isoformat() if t1 else "",
    }


def _entity_context(
    ws: Workspace,
    key: str,
    run_id: str | None,
    hops: int,
    cap: int,
    t0: _dt.datetime | None,
    t1: _dt.datetime | None,
) -> dict[str, Any]:
    run = ws.run(run_id)
    if run is None:
        raise Problem(404, f"unknown run {run_id!r}" if run_id else "no run folder to read")
    lf = _window(run.events(), t0, t1)
    g = build_graph(ego_events(lf, key, hops=hops))
    nodes, edges, note = ego_frames(g, key, hops=hops, max_nodes=cap, scored=run.entities)
    links = _ring_links(ws, run)
    own = nodes.filter(pl.col("key") == key)["ring_id"].item()
    title = f"Neighbourhood of {key}" + (f" · member of {own}" if own else "")
    params = {
        "run": run.run_id,
        **({"from": t0.isoformat()} if t0 else {}),
        **({"to": t1.isoformat()} if t1 else {}),
    }
    ctx = ring_view_context(
        nodes,
        edges,
        title=title,
        note=note,
        center=key,
        report_href="/",
        ring_links={
            r: h for r, h in links.items() if r in set(nodes["ring_id"].drop_nulls().to_list())
        },
        expand={"url": "/api/expand", "params": params},
    )
    with ws.store() as st:
        items = st.query(QueueFilter(entity=key), limit=100)
        since = st.last_audit_id()
    return {
        **ctx,
        "kind": "entity",
        "ring_id": own,
        "run_id": run.run_id,
        "stale": False,
        "items": items.to_dicts(),
        "since": since,
        "history": [],
        "lineage": [],
        "policy": [],
        "t0": t0.isoformat() if t0 else "",
        "t1": t1.isoformat() if t1 else "",
        "key": key,
        "hops": hops,
        "own_href": links.get(own) if own else None,
    }


def _render_view(
    request: Request, base: Callable[..., dict[str, Any]], ctx: dict[str, Any]
) -> Response:
    ctx = {**ctx}
    vis_js, own_js = str(ctx["vis_js"]), str(ctx["own_js"])
    return _page("view.html.j2", base(request, **ctx), scripts=(vis_js, own_js))
