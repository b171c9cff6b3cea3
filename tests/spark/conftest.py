"""A session-scoped ``local[2]`` SparkSession; Spark tests skip without PySpark or Java
unless ``RINGLENS_REQUIRE_SPARK=1`` (CI sets it, so a missing dependency fails there)."""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys

import pytest

REQUIRE = os.environ.get("RINGLENS_REQUIRE_SPARK") == "1"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "spark: needs PySpark and a Java runtime (local[2])")


def _missing() -> str | None:
    if importlib.util.find_spec("pyspark") is None:
        return "pyspark is not installed (pip install 'ringlens[spark]')"
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return "no Java runtime on PATH"
    return None


@pytest.fixture(scope="session")
def spark():
    why = _missing()
    if why is not None:
        if REQUIRE:
            pytest.fail(f"RINGLENS_REQUIRE_SPARK=1 but {why}")
        pytest.skip(why)
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from ringlens.spark import get_session

    session = get_session(
        master="local[2]",
        shuffle_partitions=4,
        conf={
            "spark.sql.execution.arrow.pyspark.enabled": "true",
            "spark.ui.enabled": "false",
            "spark.driver.memory": "2g",
            "spark.sql.adaptive.coalescePartitions.enabled": "true",
        },
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="session")
def demo():
    """The demo set (graphs/demo): events, entities, labels."""
    from pathlib import Path

    from ringlens.io import load_entities, load_events, load_labels

    d = Path(__file__).resolve().parents[2] / "graphs" / "demo"
    return (
        load_events(d / "events.parquet"),
        load_entities(d / "entities.parquet"),
        load_labels(d / "labels.parquet"),
    )
