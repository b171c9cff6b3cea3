"""Doctests of ``ringlens.spark`` run with a shared ``local[2]`` SparkSession named ``spark``.

A doctest that uses the name ``spark`` gets the session (the one ``tests/spark`` uses:
:func:`ringlens.spark.get_session` returns the active session) and runs from the
repository root, so ``"graphs/demo"`` resolves. Without PySpark or a Java runtime those
doctests skip with the reason, unless ``RINGLENS_REQUIRE_SPARK=1`` (CI) makes that a
failure. Other doctests are left alone.
"""

from __future__ import annotations

import doctest
import importlib.util
import os
import re
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _pytest.doctest import DoctestItem

ROOT = Path(__file__).resolve().parents[1]
#: the name ``spark`` read (not assigned, not part of a word, path or attribute)
_USES_SPARK = re.compile(r"(?:^|[\s(\[,=])spark\b(?!\s*=[^=])", re.M)


def _missing() -> str | None:
    if importlib.util.find_spec("pyspark") is None:
        return "pyspark is not installed (pip install 'ringlens[spark]')"
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return "no Java runtime on PATH"
    return None


@pytest.fixture(scope="session")
def spark_session() -> Iterator[Any]:
    why = _missing()
    if why is not None:
        if os.environ.get("RINGLENS_REQUIRE_SPARK") == "1":
            pytest.fail(f"RINGLENS_REQUIRE_SPARK=1 but {why}")
        pytest.skip(f"Spark doctest: {why}")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from ringlens.spark import get_session

    session = get_session(
        master="local[2]",
        shuffle_partitions=4,
        conf={"spark.ui.enabled": "false", "spark.driver.memory": "2g"},
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(autouse=True)
def _spark_for_doctests(
    request: pytest.FixtureRequest,
    doctest_namespace: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    item = request.node
    if not isinstance(item, DoctestItem) or item.dtest is None:
        return
    if not item.dtest.name.startswith("ringlens.spark."):
        return
    run = [ex for ex in item.dtest.examples if not ex.options.get(doctest.SKIP, False)]
    if not any(_USES_SPARK.search(ex.source) for ex in run):
        return
    doctest_namespace["spark"] = request.getfixturevalue("spark_session")
    monkeypatch.chdir(ROOT)
