"""The ``ringlens`` application: global options, output, errors and progress.

Exit codes: 0 ok, 1 internal error (a bug: run again with ``--debug`` for the traceback),
2 bad input, bad config or bad usage (one line on stderr says what and where).

The global options (``--quiet``, ``--log-json``, ``--debug``, ``--config``) may come before
or after the command name; their values live in the command's context (a
:class:`CliState` in ``ctx.obj``, which every command takes as its first argument), not
in module state.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from ringlens.config import Config, load_config
from ringlens.exceptions import RinglensError
from ringlens.pipeline.timing import rss_bytes

__all__ = [
    "CliState",
    "DecimalCommaOpt",
    "SeparatorOpt",
    "TimestampFormatOpt",
    "TimezoneOpt",
    "app",
    "err",
    "input_overrides",
    "main",
    "out",
    "plain",
]

#: Input options shared by the commands that read events (``input.*`` settings).
SeparatorOpt = Annotated[
    str | None,
    typer.Option("--separator", help="CSV field separator, e.g. ';' (input.separator)."),
]
DecimalCommaOpt = Annotated[
    bool | None,
    typer.Option(
        "--decimal-comma/--no-decimal-comma",
        help="Numbers in CSV written as 12,5 (input.decimal_comma).",
    ),
]
TimestampFormatOpt = Annotated[
    str | None,
    typer.Option(
        "--timestamp-format",
        help="strftime format of text timestamps, e.g. '%d/%m/%Y %H:%M' (input.timestamp_format).",
    ),
]
TimezoneOpt = Annotated[
    str | None,
    typer.Option(
        "--timezone",
        help="IANA zone of timestamps without an offset, e.g. Europe/Berlin (input.timezone; "
        "default UTC, said once in the output).",
    ),
]


def input_overrides(
    separator: str | None,
    decimal_comma: bool | None,
    timestamp_format: str | None,
    timezone: str | None,
) -> dict[str, Any]:
    """The ``input.*`` overrides of the input flags."""
    return {
        "input.separator": separator,
        "input.decimal_comma": decimal_comma,
        "input.timestamp_format": timestamp_format,
        "input.timezone": timezone,
    }


T = TypeVar("T")

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")

#: Global options: flag -> takes a value
_GLOBAL_FLAGS = {"--quiet": False, "-q": False, "--log-json": False, "--debug": False}
_GLOBAL_OPTS = {"--config": True, "-c": True}


class _Group(typer.core.TyperGroup):
    """Accepts the global options after the command name too (``score … --quiet``)."""

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:  # type: ignore[override]
        front: list[str] = []
        rest: list[str] = []
        seen_command = False
        i = 0
        while i < len(args):
            a = args[i]
            if a == "--":
                rest.extend(args[i:])
                break
            if seen_command and (a in _GLOBAL_FLAGS or a.split("=", 1)[0] in _GLOBAL_OPTS):
                if a in _GLOBAL_OPTS and i + 1 < len(args):
                    front.extend(args[i : i + 2])
                    i += 2
                    continue
                front.append(a)
            else:
                if not a.startswith("-") and not seen_command and a in self.commands:
                    seen_command = True
                rest.append(a)
            i += 1
        return super().parse_args(ctx, front + rest)


app = typer.Typer(
    name="ringlens",
    help="Find coordinated abuse rings in creator-economy interactions and queue them for review.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
    cls=_Group,
)


def plain(text: object) -> str:
    """``text`` from the data, safe to print: Rich markup escaped, control characters
    (ESC, OSC, BEL, …) shown as ``\\xNN`` escapes so that they cannot drive the terminal.

    Examples
    --------
    >>> print(plain("[/x] \x1b]0;owned\x07"))
    \\[/x] \\x1b]0;owned\\x07
    """
    s = str(text)
    if _CONTROL.search(s):
        s = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", s)
    return escape(s)


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


def _setup_logging(st: CliState) -> None:
    root = logging.getLogger("ringlens")
    root.handlers.clear()
    handler = logging.StreamHandler(sys.stderr)
    if st.json:
        handler.setFormatter(_JsonFormatter())
        root.setLevel(logging.INFO)
    else:
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        root.setLevel(logging.DEBUG if st.debug else logging.WARNING)
    root.addHandler(handler)
    root.propagate = False


@dataclass
class CliState:
    """The global options of one invocation (``ctx.obj`` of every command), the step in
    progress, and the output and error handling that depend on them."""

    quiet: bool = False
    json: bool = False
    debug: bool = False
    config: Path | None = None
    current_step: str | None = None

    def settings(
        self, overrides: dict[str, Any] | None = None, *, vocabulary: Path | None = None
    ) -> Config:
        """The settings of this invocation: ``--config`` (or ./ringlens.toml), a
        ``--vocabulary`` file, the environment and ``overrides`` (the command's flags)."""
        return load_config(self.config, overrides=overrides or {}, vocabulary=vocabulary)

    def say(self, message: str) -> None:
        """Print a line of output (Rich markup: escape data with :func:`plain`)."""
        if not self.quiet and not self.json:
            out.print(message)

    def fail(self, message: str, code: int = 2) -> NoReturn:
        """Print one error line (the message is data: never read as markup) and exit."""
        if self.json:
            sys.stderr.write(
                json.dumps({"level": "error", "msg": message, "exit_code": code}) + "\n"
            )
        else:
            err.print(f"[bold red]error:[/] {plain(message)}", markup=True, highlight=False)
        raise typer.Exit(code)

    def guarded(self, fn: Callable[[], T]) -> T:
        """Run ``fn``; user mistakes become one line + exit 2, bugs one line + exit 1."""
        try:
            return fn()
        except typer.Exit:
            raise
        except RinglensError as exc:
            self.fail(str(exc), 2)
        except KeyboardInterrupt:
            self.fail("interrupted", 130)
        except MemoryError:
            self.fail("out of memory: lower run.memory_limit_gb or split the input", 1)
        except (SystemExit, GeneratorExit):
            raise
        except BaseException as exc:  # noqa: BLE001 - the last line of defence (Rust panics too)
            if self.debug:
                raise
            logging.getLogger("ringlens").debug("internal error", exc_info=True)
            self.fail(
                f"internal error: {type(exc).__name__}: {exc} "
                "(re-run with --debug for the traceback)",
                1,
            )

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        """A progress line for a step that may take more than a second (spinner on a
        terminal); the library's ``progress`` callback."""
        log = logging.getLogger("ringlens.cli")
        self.current_step = name
        t = time.perf_counter()
        if self.quiet or self.json or not err.is_terminal:
            yield
        else:
            with err.status(f"{plain(name)}…", spinner="dots"):
                yield
        secs = time.perf_counter() - t
        log.info("%s done in %.2fs", name, secs, extra={"step": name, "seconds": round(secs, 3)})
        if not self.quiet and not self.json:
            err.print(f"[dim]✓ {plain(name)} ({secs:.2f}s)[/]")

    @contextmanager
    def memory_ceiling(
        self, limit_gb: float, *, streaming: bool, interval: float = 0.2
    ) -> Iterator[None]:
        """Stop the process cleanly if its resident memory passes ``limit_gb``.

        A watchdog thread samples the resident set size; above the ceiling it prints one
        line naming the step and exits with code 1. Every output is written atomically
        (temp file + rename, database in one transaction), so stopping mid-run leaves the
        previous run's files and queue as they were. ``limit_gb`` 0 disables the watchdog;
        ``streaming`` (is the input streamed already?) decides the hint the line gives.
        """
        if limit_gb <= 0:
            yield
            return
        limit = int(limit_gb * 2**30)
        stop = threading.Event()
        hint = (
            "Raise run.memory_limit_gb or split the input"
            if streaming
            else 'Raise run.memory_limit_gb, or set run.streaming = "always" / split the input'
        )

        def watch() -> None:
            while not stop.wait(interval):
                rss = rss_bytes()
                if rss > limit:
                    msg = (
                        f"memory ceiling of {limit_gb:g} GB exceeded during "
                        f"{self.current_step or 'the run'} ({rss / 2**30:.2f} GB resident); "
                        f"previous outputs are unchanged. {hint}"
                    )
                    sys.stderr.write(("error: " if not self.json else "") + msg + "\n")
                    sys.stderr.flush()
                    os._exit(1)

        th = threading.Thread(target=watch, name="ringlens-memory-ceiling", daemon=True)
        th.start()
        try:
            yield
        finally:
            stop.set()
            th.join(timeout=1)


@app.callback()
def _main(
    ctx: typer.Context,
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
    st = CliState(quiet=quiet, json=log_json, debug=debug, config=config)
    ctx.obj = st
    _setup_logging(st)


def main() -> None:
    """Console-script entry point."""
    app()
