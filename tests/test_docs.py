"""The documentation: every setting documented, generated files fresh, the site builds strictly.

The MkDocs build needs the docs tools of the ``dev`` extra (mkdocs, mkdocs-material,
mkdocstrings[python]); without them it is skipped, unless ``RINGLENS_REQUIRE_DOCS=1``
makes that a failure (as in CI).
"""

from __future__ import annotations

import importlib.util
import os
import re
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
