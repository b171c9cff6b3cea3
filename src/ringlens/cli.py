"""The ``ringlens`` command line: a thin layer over the library.

Exit codes: 0 ok, 1 internal error (a bug: run again with ``--debug`` for the traceback),
2 bad input, bad config or bad usage (one line on stderr says what and where).
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from ringlens._memory import rss_bytes
from ringlens.exceptions import RinglensError

app = typer.Typer(
    name="ringlens",
    help="Find coordinated abuse rings in creator-economy interactions and queue them for review.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)

_state: dict[str, Any] = {"quiet": False, "json": False, "debug": False, "config": None}
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)
T = TypeVar("T")


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for k in ("step", "seconds", "count"):
            if hasattr(record, k):
                payload[k] = getattr(record, k)
        return json.dumps(payload, sort_keys=True)


def _setup_logging() -> None:
    root = logging.getLogger("ringlens")
    root.handlers.clear()
    handler = logging.StreamHandler(sys.stderr)
    if _state["json"]:
        handler.setFormatter(_JsonFormatter())
        root.setLevel(logging.INFO)
    else:
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        root.setLevel(logging.DEBUG if _state["debug"] else logging.WARNING)
    root.addHandler(handler)
    root.propagate = False


def fail(message: str, code: int = 2) -> None:
    """Print one error line and exit."""
    if _state["json"]:
        sys.stderr.write(json.dumps({"level": "error", "msg": message, "exit_code": code}) + "\n")
    else:
        err.print(f"[bold red]error:[/] {message}", markup=True, highlight=False)
    raise typer.Exit(code)


def guarded(fn: Callable[[], T]) -> T:
    """Run ``fn``; user mistakes become one line + exit 2, bugs one line + exit 1."""
    try:
        return fn()
    except typer.Exit:
        raise
    except RinglensError as exc:
        fail(str(exc).replace("[", "\\["), 2)
    except KeyboardInterrupt:
        fail("interrupted", 130)
    except MemoryError:
        fail("out of memory: lower run.memory_limit_gb or split the input", 1)
    except Exception as exc:  # noqa: BLE001 - the last line of defence
        if _state["debug"]:
            raise
        logging.getLogger("ringlens").debug("internal error", exc_info=True)
        fail(
            f"internal error: {type(exc).__name__}: {exc} (re-run with --debug for the traceback)",
            1,
        )
    raise AssertionError("unreachable")  # pragma: no cover


@contextmanager
def memory_ceiling(limit_gb: float, *, interval: float = 0.2) -> Iterator[None]:
    """Stop the process cleanly if its resident memory passes ``limit_gb``.

    A watchdog thread samples the resident set size; above the ceiling it prints one line
    naming the step and exits with code 1. Every output is written atomically (temp file +
    rename, database in one transaction), so stopping mid-run leaves the previous run's
    files and queue as they were. ``limit_gb`` 0 disables the watchdog.
    """
    if limit_gb <= 0:
        yield
        return
    limit = int(limit_gb * 2**30)
    stop = threading.Event()

    def watch() -> None:
        while not stop.wait(interval):
            rss = rss_bytes()
            if rss > limit:
                msg = (
                    f"memory ceiling of {limit_gb:g} GB exceeded during {_state.get('step') or 'the run'} "
                    f"({rss / 2**30:.2f} GB resident); previous outputs are unchanged. Raise "
                    'run.memory_limit_gb, or set run.streaming = "always" / split the input'
                )
                sys.stderr.write(("error: " if not _state["json"] else "") + msg + "\n")
                sys.stderr.flush()
                os._exit(1)

    th = threading.Thread(target=watch, name="ringlens-memory-ceiling", daemon=True)
    th.start()
    try:
        yield
    finally:
        stop.set()
        th.join(timeout=1)


@contextmanager
def step(name: str) -> Iterator[None]:
    """A progress line for a step that may take more than a second (spinner on a terminal)."""
    log = logging.getLogger("ringlens.cli")
    _state["step"] = name
    t = time.perf_counter()
    if _state["quiet"] or _state["json"] or not err.is_terminal:
        yield
    else:
        with err.status(f"{name}…", spinner="dots"):
            yield
    secs = time.perf_counter() - t
    log.info("%s done in %.2fs", name, secs, extra={"step": name, "seconds": round(secs, 3)})
    if not _state["quiet"] and not _state["json"]:
        err.print(f"[dim]✓ {name} ({secs:.2f}s)[/]")


def say(message: str) -> None:
    if not _state["quiet"] and not _state["json"]:
        out.print(message)


@app.callback()
def _main(
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")] = False,
    log_json: Annotated[
        bool,
        typer.Option("--log-json", help="Log one JSON object per line on stderr (for batch jobs)."),
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="Verbose logs; show tracebacks of internal errors.")
    ] = False,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            "-c",
            help="Settings file (default: ./ringlens.toml if present).",
            envvar="RINGLENS_CONFIG",
        ),
    ] = None,
) -> None:
    _state.update(quiet=quiet, json=log_json, debug=debug, config=config)
    _setup_logging()


@app.command()
def synth(
    out_dir: Annotated[
        Path, typer.Argument(help="Folder to write events, entities, truth and labels into.")
    ],
    events: Annotated[
        int, typer.Option("--events", "-n", help="Approximate number of organic events.")
    ] = 200_000,
    rings_per_pattern: Annotated[int, typer.Option(help="Planted rings of each pattern.")] = 3,
    camouflage: Annotated[
        float, typer.Option(help="Camouflage events per ring event (0 = none).")
    ] = 0.5,
    camouflage_kind: Annotated[
        str, typer.Option(help="random or biased (popularity-weighted).")
    ] = "biased",
    seed: Annotated[int, typer.Option(help="Random seed.")] = 7,
    fmt: Annotated[
        str, typer.Option("--format", help="Events file format: parquet, csv or ndjson.")
    ] = "parquet",
) -> None:
    """Generate a synthetic creator economy with planted rings and ground truth.

    Example: [bold]ringlens synth /tmp/demo --events 1000000 --seed 1[/]
    """

    def run() -> None:
        from ringlens.synth import SynthConfig, generate, write_synth

        cfg = SynthConfig(
            n_events=events,
            rings_per_pattern=rings_per_pattern,
            camouflage=camouflage,
            camouflage_kind=camouflage_kind,
            seed=seed,
        )
        with step("generate"):
            data = generate(cfg)
        with step("write"):
            paths = write_synth(data, out_dir, fmt=fmt)
        say(
            f"wrote {data.events.height:,} events, {data.entities.height:,} entities, "
            f"{data.truth['ring_id'].n_unique()} planted rings to {out_dir}"
        )
        logging.getLogger("ringlens.cli").info(
            "synth wrote %s", {k: str(v) for k, v in paths.items()}
        )

    guarded(run)


def _events_path(path: Path) -> Path:
    """A run folder made by ``ringlens synth`` holds ``events.*``: accept the folder."""
    if path.is_dir():
        for name in ("events.parquet", "events.csv", "events.ndjson", "events.jsonl"):
            if (path / name).is_file():
                return path / name
    return path


def _sibling(events: Path, name: str) -> Path | None:
    folder = events if events.is_dir() else events.parent
    p = folder / f"{name}.parquet"
    return p if p.is_file() else None


@app.command("graph-stats")
def graph_stats(
    events: Annotated[
        Path, typer.Argument(help="Events file, several files' folder, or a synth folder.")
    ],
    top: Annotated[int, typer.Option(help="How many top-degree nodes to list.")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print the stats as JSON.")] = False,
) -> None:
    """Print the graph's size by type, its components and its top-degree nodes.

    Example: [bold]ringlens graph-stats graphs/demo[/]
    """

    def run() -> None:
        from ringlens.config import load_config
        from ringlens.graph import build_graph
        from ringlens.io import scan_events

        cfg = load_config(_state["config"])
        src = _events_path(events)
        with step("ingest"):
            lf = scan_events(src, columns=cfg.get("input.columns"))
        with step("build graph"):
            g = build_graph(lf)
        with step("stats"):
            st = g.stats(top=top)
        if as_json:
            payload = {k: (v.to_dicts() if hasattr(v, "to_dicts") else v) for k, v in st.items()}
            sys.stdout.write(json.dumps(payload, indent=2, default=str) + "\n")
            return
        out.print(
            f"[bold]{st['events']:,}[/] events · [bold]{st['nodes']:,}[/] nodes · "
            f"[bold]{st['edges']:,}[/] edges · {st['components']:,} components "
            f"(largest {st['largest_component']:,} nodes)"
        )
        t = Table(title="nodes by type")
        t.add_column("type")
        t.add_column("nodes", justify="right")
        for row in st["nodes_by_type"].iter_rows():
            t.add_row(str(row[0]), f"{row[1]:,}")
        out.print(t)
        t = Table(title="events by actor type, action, target type")
        for c in ("actor", "action", "target", "events"):
            t.add_column(c, justify="right" if c == "events" else "left")
        for a, act, tt, n in st["events_by_type"].iter_rows():
            t.add_row(str(a), str(act), str(tt), f"{n:,}")
        out.print(t)
        t = Table(title=f"top {top} nodes by degree")
        t.add_column("node")
        t.add_column("degree", justify="right")
        t.add_column("events", justify="right")
        for k, d, n in st["top_degree"].iter_rows():
            t.add_row(str(k), f"{d:,}", f"{n:,}")
        out.print(t)

    guarded(run)


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except SystemExit:
        raise


# Commands living in their own modules register themselves on import.
def _register_commands() -> None:
    import importlib

    for mod in ("ringlens.cli_score",):
        try:
            importlib.import_module(mod)
        except ModuleNotFoundError as exc:  # pragma: no cover - during development only
            if exc.name != mod:
                raise


_register_commands()
