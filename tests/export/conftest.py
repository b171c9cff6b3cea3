"""Fixtures for the export tests: queue frames and a throwaway PostgreSQL server.

The ``pg_server`` fixture finds ``initdb``/``pg_ctl`` (PATH, then
``/usr/lib/postgresql/*/bin``), creates a cluster in a temp dir, starts it on
a free localhost port with its unix socket in the temp dir, and stops it at
the end of the session. initdb refuses to run as root, so as root the cluster
is created and run as the ``postgres`` user (or ``nobody``) through
``runuser``/``setpriv``. Without PostgreSQL binaries the PostgreSQL tests are
skipped, unless ``RINGLENS_REQUIRE_POSTGRES=1`` (CI), then they fail.
Debian packages: ``postgresql`` (pulls ``postgresql-15`` on bookworm).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

from ringlens.export import QUEUE_SCHEMA


# --------------------------------------------------------------------------- frames
def make_queue(
    n: int = 20,
    *,
    run_id: str = "run_1",
    risk: float | list[float] = 50.0,
    ids: list[str] | None = None,
) -> pl.DataFrame:
    """A queue frame following docs/internals.md."""
    ids = ids if ids is not None else [f"qi_{i:05d}" for i in range(n)]
    n = len(ids)
    risks = risk if isinstance(risk, list) else [float(risk) + (i % 7) for i in range(n)]
    return pl.DataFrame(
        {
            "queue_item_id": ids,
            "entity_type": ["creator"] * n,
            "entity_id": [f"e{i}" for i in range(n)],
            "ring_id": [f"ring_{i % 5:016x}" for i in range(n)],
            "pattern": ["mutual_boost"] * n,
            "risk_score": risks,
            "priority": list(range(1, n + 1)),
            "action": ["manual_review"] * n,
            "queue": ["boost"] * n,
            "reasons": [["dense_block", "lockstep"]] * n,
            "evidence": [f"viz/ring_{i % 5:016x}.html" for i in range(n)],
            "market": [None if i % 3 == 0 else "DE" for i in range(n)],
            "run_id": [run_id] * n,
        },
        schema=QUEUE_SCHEMA,
    )


@pytest.fixture
def queue_frame() -> pl.DataFrame:
    return make_queue()


# --------------------------------------------------------------------------- postgres
def _find_pg_bin() -> Path | None:
    for tool in ("initdb",):
        found = shutil.which(tool)
        if found:
            path = Path(found).resolve().parent
            if (path / "pg_ctl").exists():
                return path
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"),
        key=lambda p: [int(x) if x.isdigit() else 0 for x in Path(p).parent.name.split(".")],
        reverse=True,
    )
    for cand in candidates:
        if (Path(cand) / "initdb").exists() and (Path(cand) / "pg_ctl").exists():
            return Path(cand)
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_user_prefix() -> tuple[list[str], int | None, int | None]:
    """Command prefix to run PostgreSQL as an unprivileged user when we are root."""
    if os.geteuid() != 0:
        return [], None, None
    for name in ("postgres", "nobody"):
        try:
            pw = pwd.getpwnam(name)
        except KeyError:
            continue
        if shutil.which("runuser"):
            return ["runuser", "-u", name, "--"], pw.pw_uid, pw.pw_gid
        if shutil.which("setpriv"):
            return (
                ["setpriv", f"--reuid={pw.pw_uid}", f"--regid={pw.pw_gid}", "--clear-groups"],
                pw.pw_uid,
                pw.pw_gid,
            )
    raise RuntimeError("running as root but found no postgres/nobody user and no runuser")


class PgServer:
    def __init__(self, base_url: str, bindir: Path, datadir: Path) -> None:
        self.base_url = base_url
        self.bindir = bindir
        self.datadir = datadir


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    required = os.environ.get("RINGLENS_REQUIRE_POSTGRES") == "1"
    bindir = _find_pg_bin()
    if bindir is None:
        msg = (
            "PostgreSQL server binaries (initdb, pg_ctl) not found on PATH or in "
            "/usr/lib/postgresql/*/bin; install Debian's 'postgresql' package"
        )
        if required:
            pytest.fail(msg + " (RINGLENS_REQUIRE_POSTGRES=1)")
        pytest.skip(msg)
    prefix, uid, gid = _as_user_prefix()
    tmp = Path(tempfile.mkdtemp(prefix="ringlens-pg-"))
    datadir, sockdir, log = tmp / "data", tmp / "sock", tmp / "server.log"
    sockdir.mkdir()
    if uid is not None:
        for p in (tmp, sockdir):
            os.chown(p, uid, gid if gid is not None else -1)
    env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
    started = False
    try:
        subprocess.run(
            [
                *prefix,
                str(bindir / "initdb"),
                "-D",
                str(datadir),
                "-U",
                "ringlens",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
            ],
            check=True,
            capture_output=True,
            env=env,
            cwd=tmp,
            timeout=120,
        )
        for _attempt in range(3):
            port = _free_port()
            opts = (
                f"-p {port} -k {sockdir} -c listen_addresses=127.0.0.1 "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                "-c shared_buffers=32MB -c max_connections=40"
            )
            proc = subprocess.run(
                [*prefix, str(bindir / "pg_ctl"), "-D", str(datadir), "-o", opts]
                + ["-l", str(log), "-w", "-t", "60", "start"],
                capture_output=True,
                env=env,
                cwd=tmp,
                timeout=90,
            )
            if proc.returncode == 0:
                started = True
                break
            time.sleep(0.2)
        if not started:
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"pg_ctl start failed: {proc.stderr.decode()} {tail}")
        yield PgServer(f"postgresql://ringlens@127.0.0.1:{port}/postgres", bindir, datadir)
    except (subprocess.CalledProcessError, RuntimeError, OSError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        msg = f"could not start a throwaway PostgreSQL server: {exc} {detail.decode(errors='replace')}"
        if required:
            pytest.fail(msg)
        pytest.skip(msg)
    finally:
        if started:
            subprocess.run(
                [*prefix, str(bindir / "pg_ctl"), "-D", str(datadir), "-m", "immediate", "stop"],
                capture_output=True,
                env=env,
                cwd=tmp,
                timeout=60,
            )
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture
def pg_url(pg_server: PgServer) -> Iterator[str]:
    """A URL whose search_path is a fresh, empty schema (dropped afterwards)."""
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_server.base_url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    yield f"{pg_server.base_url}?options=-csearch_path%3D{schema}"
    with psycopg.connect(pg_server.base_url, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The queue database under test: an SQLite file, or a PostgreSQL schema."""
    if request.param == "sqlite":
        return str(tmp_path / "queue.sqlite")
    return request.getfixturevalue("pg_url")
