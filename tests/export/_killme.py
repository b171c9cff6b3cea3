"""Child process for the SIGKILL tests: writes runs / upserts in a loop until killed.

Usage: python _killme.py run <out_dir> <tag>
       python _killme.py db <url> <tag>
Prints "ready" once imports are done, then loops forever, printing "begin <run>"
before and "done <run>" after each write, so the parent knows where the kill landed.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any


def _make_queue() -> Any:
    """``make_queue`` from this folder's conftest.py, loaded by path."""
    name = "ringlens_export_test_fixtures"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("conftest.py"))
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name].make_queue


def run_files(run_id: str, k: int) -> dict[str, object]:
    import polars as pl

    q = _make_queue()(3000, run_id=run_id)
    files: dict[str, object] = {
        "rings.parquet": pl.DataFrame({"ring_id": [f"ring_{i}" for i in range(500)]}).with_columns(
            run_id=pl.lit(run_id)
        ),
        "entities.parquet": pl.DataFrame(
            {"key": [f"creator:{i}" for i in range(3000)]}
        ).with_columns(run_id=pl.lit(run_id)),
        "queue.parquet": q,
        "queue.jsonl": q,
        "run.json": {"run_id": run_id, "k": k},
        "viz/index.html": f"<html>{run_id}</html>",
        f"viz/ring_{run_id}.html": "<html>" + "x" * 20000 + "</html>",
    }
    if k % 2 == 0:
        files["queue.csv"] = q
    return files


def main() -> None:
    mode, target, tag = sys.argv[1:4]
    from ringlens.export import open_queue_store, write_run

    k = 0
    if mode == "run":
        print("ready", flush=True)
        while True:
            run_id = f"{tag}-{k}"
            files = run_files(run_id, k)
            print("begin", run_id, flush=True)
            write_run(target, files, run_id=run_id)
            print("done", run_id, flush=True)
            k += 1
    else:
        n = int(sys.argv[4])
        with open_queue_store(target) as store:
            frame = _make_queue()(n, run_id=f"{tag}-0", risk=30.0)
            print("ready", flush=True)
            while True:
                run_id = f"{tag}-{k}"
                print("begin", run_id, flush=True)
                store.upsert(frame, run_id=run_id)
                print("done", run_id, flush=True)
                k += 1
                frame = _make_queue()(n, run_id=f"{tag}-{k}", risk=30.0 + k % 5)


if __name__ == "__main__":
    main()
