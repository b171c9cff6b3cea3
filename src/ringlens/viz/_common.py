"""Shared plumbing for the views: templates, inlined assets, JSON for script blocks, files.

Nothing here is public API; :mod:`ringlens.viz` re-exports :func:`safe_filename` and
:func:`ring_filename`.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import importlib.resources
import json
import logging
import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
import polars as pl
from markupsafe import Markup

from ringlens.exceptions import ConfigError, ExportError, SchemaError

if TYPE_CHECKING:
    from polars.datatypes import DataTypeClass

logger = logging.getLogger(__name__)

#: Content-Security-Policy of every page ringlens writes, with ``{scripts}`` filled by
#: :func:`content_security_policy`: scripts only when their SHA-256 matches one of the
#: page's own inline scripts (``'unsafe-inline'`` is there for CSP1 browsers only; browsers
#: that know hashes ignore it, so an injected inline handler would not run), inline styles,
#: images only from ``data:`` URIs, and nothing may be fetched, framed or submitted.
CSP_TEMPLATE = (
    "default-src 'none'; script-src 'unsafe-inline' {scripts}; style-src 'unsafe-inline'; "
    "img-src data:; base-uri 'none'; form-action 'none'"
)

VIS_VERSION = "9.1.2"

_TEMPLATE_DIR = Path(__file__).parent / "templates"

# Characters that must not appear raw inside a <script> block holding JSON: "<" (ends the
# element as "</script" or starts "<!--"), ">" and "&" (for good measure), and the two
# JavaScript line terminators that old engines reject inside string literals.
_SCRIPT_JSON_ESCAPES = {
    ord("<"): "\\u003c",
    ord(">"): "\\u003e",
    ord("&"): "\\u0026",
    0x2028: "\\u2028",
    0x2029: "\\u2029",
}

_SAFE_NAME = re.compile(r"[A-Za-z0-9_-]+")
_UNSAFE_RUN = re.compile(r"[^A-Za-z0-9_-]+")


@functools.lru_cache(maxsize=1)
def template_env() -> jinja2.Environment:
    """The Jinja2 environment of the viz templates (autoescape always on)."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(_TEMPLATE_DIR)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def script_json(obj: Any) -> Markup:
    """Serialise ``obj`` for a ``<script type="application/json">`` block.

    Compact, deterministic (insertion order), no NaN/Infinity, and with ``<``, ``>``, ``&``,
    U+2028 and U+2029 written as ``\\uXXXX`` escapes so no string can end the element.

    Examples
    --------
    >>> str(script_json({"a": "</script><b>&\\u2028"}))
    '{"a":"\\\\u003c/script\\\\u003e\\\\u003cb\\\\u003e\\\\u0026\\\\u2028"}'
    """
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return Markup(text.translate(_SCRIPT_JSON_ESCAPES))


def script_hash(text: str) -> str:
    """CSP source expression (``'sha256-…'``) of an inline script's exact text."""
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def content_security_policy(*scripts: str) -> str:
    """The page's CSP, allowing exactly the given inline scripts.

    Examples
    --------
    >>> content_security_policy("1;").startswith("default-src 'none'; script-src 'unsafe-inline' 'sha256-")
    True
    """
    return CSP_TEMPLATE.format(scripts=" ".join(script_hash(s) for s in scripts))


def _check_inline(text: str, what: str, closing: str) -> None:
    low = text.lower()
    if closing in low or "<!--" in low:
        raise ConfigError(f"{what} contains markup that cannot be inlined safely")


@functools.lru_cache(maxsize=8)
def own_script(name: str) -> Markup:
    """One of ringlens' own scripts from ``templates/`` (static text, safe to inline)."""
    text = (_TEMPLATE_DIR / name).read_text(encoding="utf-8")
    _check_inline(text, name, "</script")
    return Markup(text)


def _read_vis_asset(name: str) -> str:
    base = importlib.resources.files("pyvis") / "templates" / "lib" / f"vis-{VIS_VERSION}"
    try:
        return (base / name).read_text(encoding="utf-8")
    except (FileNotFoundError, OSError) as exc:  # pragma: no cover - broken install
        raise ConfigError(
            f"the installed pyvis has no vis-network {VIS_VERSION} asset {name!r} ({exc})"
        ) from exc


@functools.lru_cache(maxsize=1)
def vis_assets() -> tuple[Markup, Markup]:
    """vis-network's JavaScript and CSS from the installed pyvis, checked for inlining.

    The source-map comment is dropped (it would make DevTools fetch a file). Raises
    :class:`~ringlens.exceptions.ConfigError` if the files could close their element.
    """
    js = _read_vis_asset("vis-network.min.js")
    css = _read_vis_asset("vis-network.css")
    js = re.sub(r"\n//# sourceMappingURL=[^\n]*\s*$", "\n", js)
    _check_inline(js, "vis-network.min.js", "</script")
    _check_inline(css, "vis-network.css", "</style")
    return Markup(js), Markup(css)


def safe_filename(name: str, *, max_len: int = 80) -> str:
    """Map any string to a file name stem made only of ``[A-Za-z0-9_-]``.

    A name that already consists of those characters (and is at most ``max_len`` long) is
    returned unchanged; anything else keeps its safe characters (runs of others become
    ``_``) and gets ``-`` plus 12 hex digits of its SHA-256, so different inputs stay
    different. The result never contains ``/``, ``\\``, ``.`` or ``:``, so it cannot
    name a path outside the folder it is joined to.

    Parameters
    ----------
    name : str
        Untrusted text, e.g. a ring id.
    max_len : int
        Longest result, at least 16.

    Returns
    -------
    str

    Examples
    --------
    >>> safe_filename("ring_0f3a9c")
    'ring_0f3a9c'
    >>> safe_filename("../../etc/passwd")
    'etc_passwd-...'
    >>> safe_filename("")
    '...'
    >>> set(safe_filename("<img src=x>")) <= set("abcdefghijklmnopqrstuvwxyz0123456789_-")
    True
    """
    if max_len < 16:
        raise ConfigError(f"safe_filename: max_len must be at least 16, got {max_len}")
    name = str(name)
    if _SAFE_NAME.fullmatch(name) and len(name) <= max_len:
        return name
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    stem = _UNSAFE_RUN.sub("_", name).strip("_")[: max_len - 13].rstrip("_")
    return f"{stem}-{digest}" if stem else digest


def ring_filename(ring_id: str) -> str:
    """File name of a ring's view inside the run's ``viz/`` folder: ``ring_<id>.html``.

    Ids that already start with ``ring_`` (the pipeline's ``ring_<16 hex>``) are not
    prefixed twice. Always a plain file name, whatever the id contains.

    Examples
    --------
    >>> ring_filename("ring_0123456789abcdef")
    'ring_0123456789abcdef.html'
    >>> ring_filename("42")
    'ring_42.html'
    >>> ring_filename("../x")
    'ring_x-...html'
    """
    stem = safe_filename(ring_id)
    return f"{stem}.html" if stem.startswith("ring_") else f"ring_{stem}.html"


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` through a temporary file and ``os.replace``.

    Readers see the old file or the new one, never half of one. Parent folders are created.
    """
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise ExportError(f"cannot write {target}: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except OSError as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise ExportError(f"cannot write {target}: {exc.strerror or exc}") from exc
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return target


def require_frame(frame: object, what: str) -> pl.DataFrame:
    """Return ``frame`` if it is a Polars DataFrame, else raise SchemaError."""
    if isinstance(frame, pl.LazyFrame):
        raise SchemaError(f"{what} must be a polars DataFrame, got a LazyFrame (call .collect())")
    if not isinstance(frame, pl.DataFrame):
        raise SchemaError(f"{what} must be a polars DataFrame, got {type(frame).__name__}")
    return frame


def require_columns(frame: pl.DataFrame, what: str, columns: Iterable[str]) -> None:
    """Raise SchemaError naming the first missing column."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise SchemaError(
            f"{what} has no column {missing[0]!r} (it has: {', '.join(frame.columns) or 'none'})"
        )


def as_text_expr(name: str, dtype: pl.DataType | DataTypeClass) -> pl.Expr:
    """Expression turning any column into display text (nulls become ``""``).

    Lists are joined with ``", "``, structs become JSON, temporals ISO-8601, floats keep
    up to 6 significant digits.
    """
    col = pl.col(name)
    if dtype == pl.String:
        expr = col
    elif isinstance(dtype, pl.List | pl.Array):
        inner = dtype.inner if dtype.inner is not None else pl.String
        expr = col.list.eval(as_text_expr("", inner)).list.join(", ")
        if isinstance(dtype, pl.Array):
            expr = col.arr.to_list().list.eval(as_text_expr("", inner)).list.join(", ")
    elif isinstance(dtype, pl.Struct):
        expr = pl.when(col.is_not_null()).then(col.struct.json_encode())
    elif dtype.is_float():
        expr = (
            pl.when(col.is_nan())
            .then(pl.lit("NaN"))
            .otherwise(col.round_sig_figs(6).cast(pl.String))
        )
    elif isinstance(dtype, pl.Datetime):
        fmt = "%Y-%m-%dT%H:%M:%S%.f" + ("%:z" if dtype.time_zone else "")
        expr = col.dt.to_string(fmt)
    elif dtype == pl.Date:
        expr = col.dt.to_string("%Y-%m-%d")
    elif dtype == pl.Null:
        expr = pl.lit("", dtype=pl.String)
    else:
        try:
            expr = col.cast(pl.String)
        except Exception:  # pragma: no cover - exotic dtypes
            expr = col.map_elements(str, return_dtype=pl.String)
    return expr.fill_null("")
