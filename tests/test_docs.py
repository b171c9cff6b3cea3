"""The documentation: every setting documented, generated files fresh, the site builds strictly.

The MkDocs build needs the docs tools of the ``dev`` extra (mkdocs, mkdocs-material,
mkdocstrings[python]); without them it is skipped, unless ``RINGLENS_REQUIRE_DOCS=1``
makes that a failure (as in CI).
"""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType

import pytest

from ringlens.config import DEFAULTS, Config, load_config

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "ringlens.toml.example"
DOCS_TOOLS = ["mkdocs", "material", "mkdocstrings", "mkdocstrings_handlers.python"]


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:  # the parent package is missing
        return False


def _gen_docs() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_docs", ROOT / "scripts" / "gen_docs.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_every_setting_is_documented() -> None:
    missing = _gen_docs().undocumented()
    assert not missing, (
        f"settings without documentation: {missing}; add a line to SETTINGS_HELP in "
        "scripts/gen_docs.py and run `python scripts/gen_docs.py`"
    )


def test_settings_page_and_example_are_up_to_date(capsys: pytest.CaptureFixture[str]) -> None:
    rc = _gen_docs().main(["--check"])
    err = capsys.readouterr().err
    assert rc == 0, f"{err}\nrun: .venv/bin/python scripts/gen_docs.py"


def test_settings_page_names_every_key_default_and_env_var() -> None:
    gen = _gen_docs()
    page = (ROOT / "docs" / "settings.md").read_text("utf-8")
    for section, values in DEFAULTS.items():
        for key, value in values.items():
            row = next(
                (line for line in page.splitlines() if line.startswith(f"| `{section}.{key}` |")),
                None,
            )
            assert row is not None, f"docs/settings.md has no row for {section}.{key}"
            assert f"`{gen.toml_value(value)}`" in row
            if not isinstance(value, Mapping):
                assert f"`RINGLENS_{section.upper()}__{key.upper()}`" in row


def test_example_config_is_valid_as_shipped_and_uncommented(tmp_path: Path) -> None:
    text = EXAMPLE.read_text("utf-8")
    # as shipped: every setting commented out -> the defaults
    assert load_config(EXAMPLE, env={}).to_dict() == Config().to_dict()
    # every "# key = default" line uncommented -> still the defaults, and every key is there
    setting = re.compile(r"^# ([a-z_]+) = ")
    uncommented = "\n".join(line[2:] if setting.match(line) else line for line in text.splitlines())
    for section, values in DEFAULTS.items():
        for key in values:
            assert re.search(rf"^\[{section}\]$", uncommented, re.M), section
            assert re.search(rf"^{key} = ", uncommented, re.M), f"{section}.{key}"
    p = tmp_path / "ringlens.toml"
    p.write_text(uncommented, "utf-8")
    assert load_config(p, env={}).to_dict() == Config().to_dict()


def test_sphinx_roles_become_markdown_code() -> None:
    conv = _gen_docs().rst_roles_to_markdown
    assert conv(":func:`ringlens.pipeline.run`") == "`ringlens.pipeline.run`"
    assert conv(":class:`~ringlens.exceptions.ConfigError`") == "`ConfigError`"
    assert conv("plain ``code`` stays") == "plain ``code`` stays"


@pytest.mark.slow
def test_mkdocs_build_strict(tmp_path: Path) -> None:
    missing = [m for m in DOCS_TOOLS if not _installed(m)]
    if missing:
        msg = f"docs tools not installed: {', '.join(missing)} (pip install -e '.[dev]')"
        if os.environ.get("RINGLENS_REQUIRE_DOCS") == "1":
            pytest.fail(f"RINGLENS_REQUIRE_DOCS=1 but {msg}")
        pytest.skip(msg)
    site = tmp_path / "site"
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1", "NO_COLOR": "1"},
    )
    log = proc.stdout + proc.stderr
    problems = [line for line in log.splitlines() if re.match(r"\s*(WARNING|ERROR)\b", line)]
    assert proc.returncode == 0, "mkdocs build --strict failed:\n" + "\n".join(problems or [log])
    cli = (site / "reference" / "cli" / "index.html").read_text("utf-8")
    assert "ringlens score" in cli and "ringlens:cli" not in cli
    api = (site / "reference" / "api" / "pipeline" / "index.html").read_text("utf-8")
    assert "ringlens.pipeline.run" in api and ":func:" not in api
    settings = (site / "settings" / "index.html").read_text("utf-8")
    assert "RINGLENS_GRAPH__MAX_TARGET_DEGREE" in settings


# --- the pages' command blocks, run as written on the demo --------------------------------

#: Pages whose ``bash`` blocks run on the demo from the repository root. A block that cannot
#: run offline or unattended is preceded by ``<!-- not run: why -->`` and only that one is
#: skipped.
RUNNABLE_PAGES = [
    "quickstart.md",
    "howto/score-your-data.md",
    "howto/review-a-ring.md",
    "howto/tune-a-policy.md",
]
_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,})(?P<info>[^`\n]*)$")
_NOT_RUN = re.compile(r"^\s*<!--\s*not run:\s*(?P<why>.+?)\s*-->\s*$")


def bash_blocks(text: str) -> list[tuple[int, str, str | None]]:
    """The ``bash`` fenced blocks of a Markdown page: (first line number, code, why it is
    not run or None). Blocks indented inside list items are dedented; the marker is the
    last non-blank line before the fence."""
    lines = text.splitlines()
    out: list[tuple[int, str, str | None]] = []
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, fence, info = m["indent"], m["fence"], m["info"].strip()
        end = i + 1
        while end < len(lines) and lines[end].strip() != fence:
            end += 1
        if info.split() and info.split()[0] == "bash":
            body = [ln[len(indent) :] if ln.startswith(indent) else ln for ln in lines[i + 1 : end]]
            before = next((ln for ln in reversed(lines[:i]) if ln.strip()), "")
            nr = _NOT_RUN.match(before)
            out.append((i + 2, "\n".join(body) + "\n", nr["why"] if nr else None))
        i = end + 1
    return out


def test_bash_blocks_are_found_with_their_markers() -> None:
    page = (
        "text\n\n<!-- not run: needs PostgreSQL -->\n```bash\nexport X=1\n```\n\n"
        "- item:\n\n    ```bash\n    .venv/bin/ringlens --help\n    ```\n\n"
        "```python\nprint(1)\n```\n```text\nout\n```\n"
    )
    assert bash_blocks(page) == [
        (5, "export X=1\n", "needs PostgreSQL"),
        (11, ".venv/bin/ringlens --help\n", None),
    ]


def _workspace(tmp: Path) -> Path:
    """A folder that looks like the repository root to the docs' commands: ``graphs`` (the
    demo) and a ``.venv/bin`` whose ``python`` and ``ringlens`` are this interpreter's."""
    (tmp / "graphs").symlink_to(ROOT / "graphs", target_is_directory=True)
    bin_dir = tmp / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    py = shlex.quote(sys.executable)
    for name, cmd in (("python", py), ("ringlens", f"{py} -m ringlens")):
        f = bin_dir / name
        f.write_text(f'#!/bin/sh\nexec {cmd} "$@"\n', "utf-8")
        f.chmod(0o755)
    return tmp


@pytest.mark.slow
@pytest.mark.parametrize("page", RUNNABLE_PAGES)
def test_page_commands_run_on_the_demo(page: str, tmp_path: Path) -> None:
    blocks = bash_blocks((ROOT / "docs" / page).read_text("utf-8"))
    runnable = [(line, code) for line, code, why in blocks if why is None]
    assert runnable, f"docs/{page} has no command block that runs"
    ws = _workspace(tmp_path)
    # the docs describe the defaults: no setting or database from the caller's environment
    env = {k: v for k, v in os.environ.items() if not k.startswith("RINGLENS_")}
    env.update(NO_COLOR="1", COLUMNS="120")
    for line, code in runnable:
        proc = subprocess.run(
            ["bash", "-e", "-o", "pipefail", "-c", code],
            cwd=ws,
            capture_output=True,
            text=True,
            timeout=600,
            env=env,
        )
        assert proc.returncode == 0, (
            f"docs/{page}, block at line {line} exited {proc.returncode}:\n{code}\n"
            f"--- stdout\n{proc.stdout[-3000:]}\n--- stderr\n{proc.stderr[-3000:]}"
        )


def test_commands_use_the_project_venv() -> None:
    """The pages' commands call ``.venv/bin/ringlens`` / ``.venv/bin/python``, as the README
    does: a bare ``ringlens``, ``python`` or ``pytest`` runs whatever is first on PATH."""
    bare = re.compile(r"^\s*(?:[A-Z_]+=\S*\s+)*(ringlens|python3?|pytest|pyinstrument)\b")
    found = []
    for page in RUNNABLE_PAGES + ["design.md", "internals.md", "benchmarks.md", "scaling.md"]:
        for line, code, _why in bash_blocks((ROOT / "docs" / page).read_text("utf-8")):
            for k, cmd in enumerate(code.splitlines()):
                if bare.match(cmd):
                    found.append(f"docs/{page}:{line + k}: {cmd.strip()}")
    assert not found, "bare commands:\n" + "\n".join(found)
