"""Writing a synthetic data set: every table, its settings and its vocabulary."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import asdict
from functools import partial
from pathlib import Path

import polars as pl

from ringlens.exceptions import ConfigError
from ringlens.synth.data import SynthData

__all__ = ["vocabulary_toml", "write_synth"]

_TABLES = ("entities", "truth", "labels", "ring_targets", "negatives")


def vocabulary_toml(vocabulary: dict[str, dict[str, list[str]]]) -> str:
    """The vocabulary as the ``[vocabulary]`` TOML section settings read.

    Examples
    --------
    >>> print(vocabulary_toml({"actions": {"purchase": ["buy"]}, "entities": {"item": []}}))
    [vocabulary.actions]
    purchase = ["buy"]
    <BLANKLINE>
    [vocabulary.entities]
    item = []
    <BLANKLINE>
    """
    lines: list[str] = []
    for section in ("actions", "entities"):
        lines.append(f"[vocabulary.{section}]")
        for role, names in vocabulary.get(section, {}).items():
            # JSON strings are valid TOML basic strings
            lines.append(f"{role} = [{', '.join(json.dumps(n) for n in names)}]")
        lines.append("")
    return "\n".join(lines)


def _write_parquet(frame: pl.DataFrame, path: Path) -> None:
    frame.write_parquet(path, compression="zstd")


def _atomic(path: Path, write: Callable[[Path], object], paths: dict[str, Path]) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    write(tmp)
    os.replace(tmp, path)
    paths[path.stem] = path


def write_synth(
    data: SynthData, out_dir: str | os.PathLike[str], *, fmt: str = "parquet"
) -> dict[str, Path]:
    """Write a synthetic data set into ``out_dir``.

    Files: ``events.<fmt>``; ``entities``, ``truth``, ``labels``, ``ring_targets`` and
    ``negatives`` as Parquet; ``vocabulary.toml`` (the platform's names by role) and
    ``synth.json`` (settings, platform, event count, each ring's pattern, pace and
    variant, the renaming if any). ``fmt`` is
    ``parquet``, ``csv`` or ``ndjson``. Files are written to a temporary name and renamed,
    so a crash never leaves half a file. Returns the path of each file by stem.
    """
    if fmt not in ("parquet", "csv", "ndjson"):
        raise ConfigError(f"synth: format must be parquet, csv or ndjson, got {fmt!r}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    ev = data.events
    writers: dict[str, Callable[[Path], object]] = {
        "parquet": lambda p: ev.write_parquet(p, compression="zstd", statistics=True),
        "csv": lambda p: ev.write_csv(p),
        "ndjson": lambda p: ev.write_ndjson(p),
    }
    _atomic(out / f"events.{fmt}", writers[fmt], paths)
    for name in _TABLES:
        frame: pl.DataFrame = getattr(data, name)
        _atomic(out / f"{name}.parquet", partial(_write_parquet, frame), paths)
    if data.vocabulary:
        text = vocabulary_toml(data.vocabulary)
        _atomic(out / "vocabulary.toml", lambda p: p.write_text(text), paths)
    info: dict[str, object] = {
        "generator": "ringlens.synth",
        "config": asdict(data.config),
        "events": data.events.height,
        "platform": data.config.platform,
        "rings": data.rings.to_dicts(),
    }
    if data.renaming:
        info["renaming"] = data.renaming
    text = json.dumps(info, indent=2, sort_keys=True) + "\n"
    _atomic(out / "synth.json", lambda p: p.write_text(text), paths)
    return paths
