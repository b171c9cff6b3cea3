"""A SparkSession for ringlens, and the checks that PySpark and Java are there."""

from __future__ import annotations

import logging
import os
import shutil
import sys
from typing import TYPE_CHECKING, Any

from ringlens.exceptions import ConfigError

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import SparkSession

log = logging.getLogger(__name__)

__all__ = ["get_session", "require_pyspark", "is_connect"]


def require_pyspark() -> None:
    """Raise :class:`ConfigError` with the install command when PySpark is missing."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        raise ConfigError(
            "the Spark engine needs PySpark: pip install 'ringlens[spark]' "
            "(pyspark>=3.5, pandas<3) and a Java 17 runtime"
        ) from None


def is_connect(spark: Any) -> bool:
    """Whether ``spark`` is a Spark Connect session (no JVM on this side)."""
    return type(spark).__module__.startswith("pyspark.sql.connect")


def get_session(
    *,
    master: str = "local[2]",
    app_name: str = "ringlens",
    shuffle_partitions: int | None = None,
    conf: dict[str, str] | None = None,
) -> SparkSession:
    """The active SparkSession, or a new one for ``master`` set up for ringlens.

    Python workers run this interpreter (so they see the same ringlens, Polars and
    igraph), Arrow transfer is on, timestamps are UTC, and the UI is off for local
    masters.

    Parameters
    ----------
    master
        ``local[N]``, ``spark://…``, ``yarn``, ``k8s://…``; ``sc://…`` starts a Spark Connect
        session.
    shuffle_partitions
        ``spark.sql.shuffle.partitions`` (default: 4 × the cores of a local master, else
        Spark's default).

    Examples
    --------
    >>> spark = get_session(master="local[2]")  # the active session, if there is one
    >>> spark.conf.get("spark.sql.session.timeZone")
    'UTC'
    """
    require_pyspark()
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    local = master.startswith("local")
    if local and shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        raise ConfigError("the Spark engine needs a Java runtime (Java 17): none found on PATH")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    if master.startswith("sc://"):
        b = SparkSession.builder.remote(master)
    else:
        b = SparkSession.builder.master(master)
    b = b.appName(app_name)
    settings: dict[str, str] = {
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.sql.session.timeZone": "UTC",
    }
    if local:
        settings.update(
            {
                "spark.ui.enabled": "false",
                "spark.ui.showConsoleProgress": "false",
                "spark.driver.host": "127.0.0.1",
                "spark.driver.bindAddress": "127.0.0.1",
                "spark.sql.adaptive.enabled": "true",
            }
        )
        if shuffle_partitions is None:
            cores = master[len("local[") : -1] if master.startswith("local[") else "1"
            n = os.cpu_count() or 2 if cores == "*" else int(cores or 1)
            shuffle_partitions = 4 * max(1, n)
    if shuffle_partitions is not None:
        settings["spark.sql.shuffle.partitions"] = str(shuffle_partitions)
    settings.update(conf or {})
    for k, v in settings.items():
        b = b.config(k, v)
    spark = b.getOrCreate()
    log.info("spark %s session on %s", spark.version, master)
    return spark
