"""The notebooks in notebooks/ run top to bottom on graphs/demo, and are committed clean.

Execution uses nbclient with an ipykernel kernel running *this* interpreter (a kernelspec
written to a temporary JUPYTER_PATH, so a system-wide ``python3`` kernel cannot take over),
with the working directory set to notebooks/ as Jupyter would. The execution tests are
skipped when nbclient, nbformat, ipykernel or a notebook's own imports (matplotlib) are
missing, unless ``RINGLENS_REQUIRE_NOTEBOOKS=1`` makes that a failure (as in CI).
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
ALL = sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))
EXPECTED = {
    "investigator_walkthrough.ipynb",
    "analyst_projection.ipynb",
    "tuning.ipynb",
    "feedback_loop.ipynb",
}
#: seconds one cell may run (the whole demo pipeline runs in about 10 s)
CELL_TIMEOUT = 600
#: packages a notebook imports beyond ringlens' own dependencies
EXTRA_IMPORTS = {"tuning.ipynb": ["matplotlib"], "feedback_loop.ipynb": ["matplotlib"]}
RUNNER = ["nbclient", "nbformat", "ipykernel"]


def _require(modules: list[str]) -> None:
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if not missing:
        return
    msg = f"needs {', '.join(missing)} (pip install -e '.[dev]')"
    if os.environ.get("RINGLENS_REQUIRE_NOTEBOOKS") == "1":
        pytest.fail(f"RINGLENS_REQUIRE_NOTEBOOKS=1 but the notebook test {msg}")
    pytest.skip(msg)


def test_expected_notebooks_exist() -> None:
    assert EXPECTED <= set(ALL), f"missing notebooks: {sorted(EXPECTED - set(ALL))}"


@pytest.mark.parametrize("name", ALL)
def test_notebook_is_committed_without_outputs(name: str) -> None:
    """Outputs are stripped before commit: small diffs, no stale results, no 1 MB iframes."""
    nb = json.loads((NOTEBOOKS / name).read_text("utf-8"))
    dirty = [
        i
        for i, cell in enumerate(nb["cells"])
        if cell["cell_type"] == "code" and (cell.get("outputs") or cell.get("execution_count"))
    ]
    assert not dirty, (
        f"{name}: cells {dirty} have outputs; strip them before committing "
        f"(e.g. jupyter nbconvert --clear-output --inplace notebooks/{name})"
    )


@pytest.fixture
def kernel_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A kernelspec for this interpreter, found first on JUPYTER_PATH."""
    name = "ringlens-test"
    spec_dir = tmp_path / "jupyter" / "kernels" / name
    spec_dir.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "ringlens test kernel",
        "language": "python",
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec), "utf-8")
    old = os.environ.get("JUPYTER_PATH")
    monkeypatch.setenv(
        "JUPYTER_PATH", os.pathsep.join([str(tmp_path / "jupyter"), *([old] if old else [])])
    )
    # a headless, non-interactive matplotlib and a writable cache in the test's tmp dir
    monkeypatch.setenv("MPLCONFIGDIR", str(tmp_path / "mpl"))
    return name


@pytest.mark.slow
@pytest.mark.parametrize("name", ALL)
def test_notebook_runs_top_to_bottom(name: str, kernel_name: str) -> None:
    _require(RUNNER + EXTRA_IMPORTS.get(name, []))
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT,
        kernel_name=kernel_name,
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    try:
        client.execute()
    except CellExecutionError as exc:  # the message holds the cell source and the traceback
        pytest.fail(f"{name} failed:\n{exc}", pytrace=False)
    errors = [
        out
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
        if out.get("output_type") == "error"
    ]
    assert not errors
