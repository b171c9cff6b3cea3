"""Generated parts of the docs: the settings reference, ``ringlens.toml.example``, the CLI page.

* ``python scripts/gen_docs.py`` rewrites the settings table in ``docs/settings.md``
  (between the ``ringlens:settings`` markers) and ``ringlens.toml.example`` from
  :data:`ringlens.config.DEFAULTS` and :data:`SETTINGS_HELP` below.
* ``python scripts/gen_docs.py --check`` exits 1 when a setting is undocumented or a
  generated file is stale (``tests/test_docs.py`` runs it).
* As an MkDocs hook (``hooks:`` in ``mkdocs.yml``) it replaces ``<!-- ringlens:cli -->``
  in ``docs/reference/cli.md`` with every command's ``--help``, captured at build time,
  so the CLI page never goes stale.

A new key in ``DEFAULTS`` needs a line in :data:`SETTINGS_HELP`, or the check fails.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SETTINGS_MD = ROOT / "docs" / "settings.md"
TOML_EXAMPLE = ROOT / "ringlens.toml.example"
START = "<!-- ringlens:settings:start -->"
END = "<!-- ringlens:settings:end -->"
CLI_MARKER = "<!-- ringlens:cli -->"

#: One line per setting: what it does (Markdown; keep it to one or two sentences).
SETTINGS_HELP: dict[str, str] = {
    "input.columns": (
        "Column mapping for the events table: contract column = column in your files, "
        'e.g. `{ actor_id = "user_id", ts = "event_time" }`. Applies to events only; '
        "entities and labels use the contract names. A column the mapping does not name "
        "and a file lacks is read from the one column that spells it another way "
        "(`ACTOR_ID`, `Target Type`, `targetType`; not a name padded with spaces, not when "
        "two match), in every table; `run.json` (`ingest.columns_by_name`) lists them."
    ),
    "input.separator": (
        "CSV field separator, one ASCII character (`;` for many spreadsheet exports); "
        "`.tsv` files always use a tab. A UTF-8 byte-order mark is always accepted."
    ),
    "input.decimal_comma": (
        "Amounts in text use a decimal comma (`12,5`), as European spreadsheets export them; "
        "thousands separators are not accepted."
    ),
    "input.timestamp_format": (
        "strftime-style format of text timestamps, e.g. `%d/%m/%Y %H:%M`; values that do not "
        "match it are still tried as ISO-8601. Empty: ISO-8601 only."
    ),
    "input.timezone": (
        "IANA time zone of timestamps without a UTC offset (text without an offset, Parquet "
        "datetimes without a zone, dates), e.g. `Europe/Berlin`. Empty: they are read as UTC "
        "and the run says so. A repeated local time takes the earlier instant; a skipped one "
        "is an error."
    ),
    "input.defaults": (
        "One value for an event column in every row of a file that lacks it, after "
        '`input.columns`, e.g. `{ actor_type = "user", target_type = "listing" }` for an '
        "export of account, item and time. Only `actor_type`, `target_type`, `action` and "
        "`market`; a file that has the column keeps its own values; `run.json` "
        "(`ingest.columns_from_defaults`) names the files and columns it gave."
    ),
    "graph.max_target_degree": (
        "Targets acted on by more distinct actors than this (viral products, star creators) "
        "are skipped by lockstep detection and ring expansion: they link everyone."
    ),
    "detect.seed": (
        "Random seed, recorded in `run.json` and part of the run id "
        "(`ringlens score --seed`). Same input, settings and seed give the same outputs."
    ),
    "detect.dense_min_rows": (
        "Smallest dense core (accounts) that FRAUDAR peeling of a ring reports as the "
        "`dense_block` signal."
    ),
    "detect.dense_column_weighting": (
        "How FRAUDAR weighs an edge into a target of `d` accounts in the run's dense-block "
        "search: `log` (`1 / log(d + 5)`, FRAUDAR's own), `sqrt` (`1 / sqrt(d + 5)`: "
        "popular targets count for less, so a slow ring on mid-popularity items is found "
        "behind an organic core of heavy users of popular ones) or `auto`: `sqrt` on "
        "families whose targets the vocabulary names items or content, `log` on the others "
        "(an unnamed type may be an attribute, such as carrier address blocks, whose hubs "
        "`sqrt` would make blocks of). Measured in `docs/evaluation.md`."
    ),
    "detect.lockstep_window": (
        "Window of a ring's synchrony feature (share of its members' events on its targets "
        "that fall together) and of ring expansion (`90s`, `15m`, `3h`, `2d` or seconds). "
        "The lockstep detector chooses its own windows from the data, minutes to days."
    ),
    "detect.lockstep_min_actors": "Smallest lockstep group (accounts).",
    "detect.lockstep_min_targets": (
        "Each account of a lockstep group hits at least this many of the group's targets "
        "in lockstep."
    ),
    "detect.lockstep_min_bursts": (
        "Each account of a lockstep group takes part in at least this many separate bursts. "
        "1 turns any crowd that acted at the same time into a ring."
    ),
    "detect.shared_max_household": (
        "A device or payout account used by more accounts than this is beyond a household: "
        "all its users are linked by the shared-attribute detector."
    ),
    "detect.shared_min_group": (
        "Smallest group of accounts behind shared rare targets (devices, payout accounts, "
        "coupons) that the shared-target detector proposes as a ring candidate."
    ),
    "detect.min_ring_size": "Rings with fewer members are dropped after candidates are merged.",
    "detect.patterns": (
        "Pattern catalogue (TOML file) that names each ring's pattern from its features; "
        "empty = the shipped catalogue (`src/ringlens/rings/default_patterns.toml`)."
    ),
    "detect.disable": (
        "Registered detectors the run skips, by name (`lockstep`, `dense_blocks`, "
        "`communities`, `owner_communities`, `skewed_follow_ups`, `skewed_ratings`, "
        "`flow_cycles`, `shared_targets`, `near_confirmed_bad`, `account_facts`, `ring_structure`, "
        "`dense_cores`): for ablations and for a detector a platform does not want."
    ),
    "score.weights": (
        "Points per reason code, overriding the built-in weights (table below); a reason at "
        "full strength adds its weight to the raw points. Unknown reason codes are an error."
    ),
    "export.sinks": (
        "Outputs besides the Parquet files (always written): `csv`, `jsonl` (queue.csv, "
        "queue.jsonl), `sqlite` or `postgres` (upsert the queue database)."
    ),
    "export.database": (
        "Queue database: a path relative to the run folder, an absolute path, or a "
        "`postgresql://` URL. `--database` and `RINGLENS_DATABASE_URL` take precedence."
    ),
    "export.requeue_margin": (
        "A dismissed queue item re-opens only when its risk has risen by at least this many "
        "points (0–100 scale) since it was dismissed."
    ),
    "viz.enabled": "Write the HTML ring views and the run report (`--no-views` turns them off).",
    "viz.max_nodes": "Node cap of ego views (`ringlens explore --entity`).",
    "viz.max_ring_views": "Ring views are written for at most this many rings, riskiest first.",
    "run.memory_limit_gb": (
        "Memory ceiling in GB, 0 = none (`--memory-limit-gb`): the run stops cleanly above "
        "it, and ingest streams when the in-memory path would not fit."
    ),
    "run.streaming": (
        "Streaming ingest: `auto` (inputs larger than `streaming_threshold_mb`), `always` "
        "or `never`."
    ),
    "run.streaming_threshold_mb": 'Input size (MB) above which `streaming = "auto"` streams.',
    "run.threads": (
        "Threads for the detectors that run side by side (lockstep, dense blocks, communities, "
        "PageRank, shared targets) and for drawing the ring views; 0 = one per core the "
        "process may use. The results are the same bits with any number, and it is left out "
        "of the run id."
    ),
    "vocabulary.actions": (
        'A platform\'s action names by role, e.g. `purchase = ["checkout"]`. Roles: '
        "engagement, purchase, review, click, follow, gift, claim, login, payout, own, "
        "view. Empty = the built-in vocabulary; unmapped names get a role from the "
        "data's shape and are reported in the run's coverage."
    ),
    "vocabulary.entities": (
        'A platform\'s entity-type names by role, e.g. `account = ["viewer", "host"]`. '
        "Roles: account, item, content, live, device, payout_account, coupon."
    ),
    "vocabulary.strict": (
        "Action names the vocabulary does not map stop the run (exit 2) instead of a "
        "warning in the coverage report (`ringlens score --strict`)."
    ),
    "calibrate.target_precision": (
        "`ringlens calibrate`: the precision (share of judged items confirmed) a suggested "
        "threshold must reach in its pattern and market (`--target-precision`)."
    ),
    "calibrate.queue_targets": (
        "Target precision per queue, overriding `target_precision` for it, e.g. "
        "`{ enforcement = 0.98 }`: a queue that suspends accounts needs more certainty than "
        "one a reviewer works. Queue names must be the policy's."
    ),
    "calibrate.min_verdicts": (
        "Verdicts a pattern, market or reason needs before calibration trusts its precision "
        "(smaller samples are flagged; no threshold is suggested from fewer)."
    ),
    "calibrate.min_gain": (
        "Rise of precision at capacity on the held-out runs that learned weights need before "
        "`ringlens calibrate` writes them (`weights.toml`)."
    ),
    "calibrate.holdout_runs": (
        "Latest runs held out, each in turn, to validate learned weights and suggested "
        "thresholds (trained on the runs before it)."
    ),
    "calibrate.prior_sd": (
        "How far (points) verdicts may pull a reason's weight from its current value before "
        "the prior resists: small values keep weights near the current ones."
    ),
    "calibrate.drift_drop": (
        "Input drift: an action's (or market's) events per day below this share of the "
        "previous runs' mean is flagged as a drop."
    ),
    "calibrate.drift_min_events": (
        "Input drift: volumes the previous runs make worth fewer events than this over the "
        "run's span are not checked for drops."
    ),
}

#: A line shown under the setting in ringlens.toml.example (an example, not the default).
TOML_EXAMPLES: dict[str, str] = {
    "input.columns": 'columns = { actor_id = "user_id", actor_type = "user_kind", ts = "event_time" }',
    "input.timestamp_format": 'timestamp_format = "%d/%m/%Y %H:%M"',
    "input.timezone": 'timezone = "Europe/Berlin"',
    "input.defaults": 'defaults = { actor_type = "user", target_type = "listing", action = "rate" }',
    "score.weights": "weights = { shared_payout = 50.0, new_account = 5.0 }",
    "export.database": 'database = "postgresql://ringlens@db.internal:5432/tns"',
}


def _defaults() -> dict[str, dict[str, Any]]:
    sys.path.insert(0, str(ROOT / "src"))
    from ringlens.config import DEFAULTS

    return DEFAULTS


def _keys() -> list[tuple[str, str, Any]]:
    return [(s, k, v) for s, values in _defaults().items() for k, v in values.items()]


def undocumented() -> list[str]:
    """Settings in DEFAULTS without a line in SETTINGS_HELP."""
    keys = {f"{s}.{k}" for s, k, _ in _keys()}
    return sorted(keys - set(SETTINGS_HELP))


def unknown() -> list[str]:
    """Lines in SETTINGS_HELP for keys DEFAULTS does not have (yet, or any more)."""
    keys = {f"{s}.{k}" for s, k, _ in _keys()}
    return sorted(set(SETTINGS_HELP) - keys)


def env_name(section: str, key: str) -> str:
    return f"RINGLENS_{section.upper()}__{key.upper()}"


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"no TOML form for {value!r}")


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "duration" if re.fullmatch(r"\d+[smhd]", value) else "string"
    if isinstance(value, list | tuple):
        return "list of strings"
    return "table"


def _env_cell(section: str, key: str, value: Any) -> str:
    if isinstance(value, Mapping):
        return "— (file only)"
    name = f"`{env_name(section, key)}`"
    if isinstance(value, list | tuple):
        return name + " (comma-separated)"
    if isinstance(value, bool):
        return name + " (`1`/`0`, `true`/`false`)"
    return name


def settings_table() -> str:
    rows = [
        "| setting | type | default | environment variable | meaning |",
        "|---|---|---|---|---|",
    ]
    for section, key, value in _keys():
        text = SETTINGS_HELP.get(f"{section}.{key}", "**undocumented**").replace("|", "\\|")
        rows.append(
            f"| `{section}.{key}` | {_type_name(value)} | `{toml_value(value)}` "
            f"| {_env_cell(section, key, value)} | {text} |"
        )
    from ringlens.risk.model import DEFAULT_WEIGHTS

    rows += [
        "",
        "Built-in reason weights (`[score.weights]` overrides any of them):",
        "",
        "| reason | weight |",
        "|---|---|",
    ]
    rows += [f"| `{reason}` | {w:g} |" for reason, w in DEFAULT_WEIGHTS.items()]
    return "\n".join(rows)


def _wrap(text: str, width: int = 92) -> list[str]:
    # keep `code spans` on one line, then drop the Markdown
    plain = re.sub(r"`([^`]*)`", lambda m: m.group(1).replace(" ", "\0"), text).replace("*", "")
    lines, cur = [], ""
    for word in plain.split():
        word = word.replace("\0", " ")
        if cur and len(cur) + 1 + len(word) > width:
            lines.append(cur)
            cur = word
        else:
            cur = f"{cur} {word}" if cur else word
    return lines + ([cur] if cur else [])


def toml_example() -> str:
    out = [
        "# ringlens.toml — settings for ringlens (generated by scripts/gen_docs.py).",
        "#",
        "# Copy to ringlens.toml (read from the working directory, or pass --config FILE)",
        "# and uncomment what you change. Every value shown is the default.",
        "# Precedence: defaults < this file < environment RINGLENS_<SECTION>__<KEY> < CLI flags.",
        "# Reference: docs/settings.md.",
    ]
    for section, values in _defaults().items():
        out += ["", f"[{section}]"]
        for key, value in values.items():
            dotted = f"{section}.{key}"
            out += [f"# {line}" for line in _wrap(SETTINGS_HELP.get(dotted, "undocumented"))]
            env = "file only" if isinstance(value, Mapping) else env_name(section, key)
            out.append(f"#   env: {env}")
            if dotted in TOML_EXAMPLES:
                out.append(f"#   e.g. {TOML_EXAMPLES[dotted]}")
            out.append(f"# {key} = {toml_value(value)}")
    return "\n".join(out) + "\n"


def settings_md(current: str) -> str:
    if START not in current or END not in current:
        raise SystemExit(f"{SETTINGS_MD}: markers {START} / {END} not found")
    head, rest = current.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{settings_table()}\n{END}{tail}"


# ------------------------------------------------------------------------- CLI (build time)
def _help(args: list[str]) -> str:
    code = "import sys; from ringlens.cli import main; sys.argv[0] = 'ringlens'; main()"
    env = {**os.environ, "COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb"}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), env.get("PYTHONPATH", "")])
    proc = subprocess.run(
        [sys.executable, "-c", code, *args, "--help"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"ringlens {' '.join(args)} --help failed: {proc.stderr.strip()}")
    lines = [line.rstrip() for line in proc.stdout.splitlines()]
    while lines and not lines[0]:
        lines.pop(0)
    return "\n".join(lines).rstrip()


def cli_markdown() -> str:
    sys.path.insert(0, str(ROOT / "src"))
    import typer

    from ringlens.cli import app

    commands = list(typer.main.get_command(app).commands)  # type: ignore[attr-defined]
    parts = ["## `ringlens`", "", "```text", _help([]), "```"]
    for name in commands:
        parts += ["", f"## `ringlens {name}`", "", "```text", _help([name]), "```"]
    return "\n".join(parts)


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """MkDocs hook: fill in the CLI reference."""
    if CLI_MARKER in markdown:
        return markdown.replace(CLI_MARKER, cli_markdown())
    return markdown


# ------------------------------------------------------------- docstrings (griffe, build time)
_ROLE = re.compile(r":(?:py:)?(?:func|meth|class|mod|data|attr|exc|obj|const):`~?([^`]+)`")


def rst_roles_to_markdown(text: str) -> str:
    """``:func:`~ringlens.x.f``` → ```f```: Sphinx roles in docstrings as Markdown code.

    Examples
    --------
    >>> rst_roles_to_markdown("see :func:`detect` and :class:`~ringlens.exceptions.ConfigError`")
    'see `detect` and `ConfigError`'
    """

    def repl(m: re.Match[str]) -> str:
        target = m.group(1)
        if m.group(0).split("`", 1)[1].startswith("~"):
            target = target.rsplit(".", 1)[-1]
        return f"`{target}`"

    return _ROLE.sub(repl, text)


try:
    import griffe as _griffe
except ImportError:  # pragma: no cover - only the docs build needs it
    _griffe = None

if _griffe is not None:

    class RstRoles(_griffe.Extension):  # type: ignore[misc,name-defined]
        """Griffe extension (``mkdocs.yml``): Sphinx roles in docstrings as Markdown code."""

        def on_instance(self, *, obj: Any, **kwargs: Any) -> None:
            if obj.docstring is not None:
                obj.docstring.value = rst_roles_to_markdown(obj.docstring.value)


# ------------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="fail if anything is stale")
    args = ap.parse_args(argv)
    problems = [f"settings: {k} has no line in SETTINGS_HELP" for k in undocumented()]
    for k in unknown():  # harmless: a setting documented ahead of its code, or removed
        print(f"note: SETTINGS_HELP documents {k}, which ringlens.config.DEFAULTS lacks")
    wanted = {
        SETTINGS_MD: settings_md(SETTINGS_MD.read_text("utf-8")),
        TOML_EXAMPLE: toml_example(),
    }
    for path, text in wanted.items():
        current = path.read_text("utf-8") if path.exists() else ""
        if current == text:
            continue
        if args.check:
            problems.append(f"{path.relative_to(ROOT)} is stale")
        else:
            path.write_text(text, "utf-8")
            print(f"wrote {path.relative_to(ROOT)}")
    for p in problems:
        print(p, file=sys.stderr)
    if problems:
        print("fix: document the setting in scripts/gen_docs.py, then run it", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
