"""All-or-nothing run folders.

A run writes several outputs (``rings.parquet``, ``entities.parquet``,
``queue.parquet``, optional ``queue.csv`` / ``queue.jsonl``, ``run.json``,
``viz/``) into one folder that also holds things that are *not* run outputs
(the SQLite queue database, reviewers' files). Readers must always see the
previous complete set of outputs or the new one, never a mix, even when the
writer is SIGKILLed at any instant; the other files must never be touched.

Design: a ``current`` pointer
-----------------------------
Each run is written into its own *generation* directory under
``<out_dir>/.ringlens/`` and published by atomically replacing one symlink::

    out_dir/
      queue.sqlite                    (not a run output: never touched)
      rings.parquet -> .ringlens/current/rings.parquet
      viz           -> .ringlens/current/viz
      .ringlens/
        lock                          (flock: one writer at a time)
        current  -> gen-20240501T020304.123456Z-a1b2c3d4   (the published run)
        previous -> gen-20240430T020304.654321Z-0f0e0d0c   (kept for one more run)
        gen-…/  rings.parquet  queue.parquet  run.json  viz/ …

Commit protocol (:meth:`RunWriter.commit`):

1. every file of the staging directory ``.ringlens/staging-<token>`` is
   ``fsync``\\ ed, then the directories, then the staging directory is renamed
   to ``gen-<timestamp>-<token>``;
2. a top-level symlink ``<name> -> .ringlens/current/<name>`` is made for each
   output name of the new run that does not have one yet (while ``current``
   still points at the old run such a link dangles: the name is absent, as in
   the old run);
3. ``previous`` is pointed at the old generation and **``current`` is replaced
   atomically** (``symlink`` + ``os.replace``) - the single commit point;
4. links of outputs the new run no longer has (now dangling) are removed and
   generations other than ``current``/``previous`` are deleted.

A crash before step 3 leaves the old run visible; after it, the new one.
Leftovers (staging directories, unreferenced generations, temporary links) are
cleaned up by the next :class:`RunWriter` on the same folder (recovery).

Why not swap whole directories with ``renameat2(RENAME_EXCHANGE)``: the folder
also holds files that are not run outputs - a live SQLite database with its
``-wal``/``-shm`` files, reviewer notes - which would have to be moved in and
out of the swapped directory, breaking open database handles. The exchange is
only used (through ctypes, Linux only) to migrate a *legacy* folder whose
``viz/`` is a real directory written by something else: the directory is
swapped for a symlink to an identical hard-linked copy in one step. Without
``renameat2`` the fallback renames the directory aside and then links it,
which leaves ``viz`` missing for an instant during that one-off migration.

Readers that need one consistent snapshot while a writer may be committing
should resolve the folder once with :func:`resolve_run` and read every file
from the returned generation directory.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import datetime as _dt
import errno
import logging
import os
import re
import secrets
import shutil
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from types import TracebackType
from typing import Any

import polars as pl

from ringlens.exceptions import ConfigError, ExportError
from ringlens.export.sinks import (
    fsync_dir,
    write_bytes,
    write_csv,
    write_json,
    write_jsonl,
    write_parquet,
)

try:  # POSIX only
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = ["RUN_OUTPUTS", "STATE_DIR", "RunWriter", "resolve_run", "write_run"]

logger = logging.getLogger(__name__)

#: Hidden directory inside a run folder that holds generations and the pointer.
STATE_DIR = ".ringlens"
#: The outputs a complete run normally has (informative; any relative path may be written).
RUN_OUTPUTS: tuple[str, ...] = (
    "rings.parquet",
    "entities.parquet",
    "queue.parquet",
    "queue.csv",
    "queue.jsonl",
    "run.json",
    "viz",
)

_CURRENT = "current"
_PREVIOUS = "previous"
_LOCK = "lock"
_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")
_TEMP_LINK = re.compile(r"^\..+\.[0-9a-f]{12}\.lnk$")


def _io_error(what: str, path: os.PathLike[str] | str, exc: OSError) -> ExportError:
    return ExportError(f"cannot {what} {path}: {exc.strerror or exc}")


def _link_target(name: str) -> str:
    return f"{STATE_DIR}/{_CURRENT}/{name}"


def resolve_run(run_dir: str | os.PathLike[str]) -> Path:
    """The directory that holds the published run of ``run_dir``.

    For a folder written by :class:`RunWriter` this is the generation directory
    ``current`` points at (read everything from it to get one consistent run even
    while another process commits); for any other folder it is ``run_dir`` itself.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = write_run(d, {"run.json": {"run_id": "r1"}})
    >>> resolve_run(d).parent.name
    '.ringlens'
    """
    base = Path(run_dir)
    current = base / STATE_DIR / _CURRENT
    if current.is_symlink():
        target = base / STATE_DIR / os.readlink(current)
        if target.is_dir():
            return target
    return base


# --------------------------------------------------------------------------- renameat2
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _renameat2_exchange(a: Path, b: Path) -> bool:
    """Atomically exchange two paths (Linux ``renameat2``); False if unsupported."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    fn.restype = ctypes.c_int
    rc = fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if rc == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(a))


# --------------------------------------------------------------------------- helpers
def _fsync_tree(root: Path) -> None:
    """fsync every file, then every directory (deepest first), under ``root``."""
    dirs: list[str] = []
    for dirpath, _dirnames, filenames in os.walk(root):
        dirs.append(dirpath)
        for name in filenames:
            p = os.path.join(dirpath, name)
            if os.path.islink(p):
                continue
            fd = os.open(p, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
    for d in reversed(dirs):
        fsync_dir(d)


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def _replace_symlink(link: Path, target: str) -> None:
    """Make ``link`` a symlink to ``target`` atomically (temp link + os.replace)."""
    tmp = link.with_name(f".{link.name}.{secrets.token_hex(6)}.lnk")
    os.symlink(target, tmp)
    try:
        os.replace(tmp, link)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _rmtree(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    elif path.exists():
        shutil.rmtree(path, ignore_errors=True)


def _check_relpath(name: str) -> PurePosixPath:
    rel = PurePosixPath(name.replace(os.sep, "/"))
    if (
        not name
        or rel.is_absolute()
        or any(part in ("..", "") for part in rel.parts)
        or rel.parts[0] == STATE_DIR
        or rel.parts[0].startswith(".")
    ):
        raise ConfigError(
            f"run output name {name!r} is not allowed "
            f"(expected a relative path like 'queue.csv' or 'viz/index.html', "
            f"not absolute, without '..', not starting with '.')"
        )
    return rel


def _write_obj(obj: Any, path: Path) -> None:
    suffix = path.suffix.lower()
    if isinstance(obj, pl.DataFrame | pl.LazyFrame):
        if suffix == ".parquet":
            write_parquet(obj, path)
        elif suffix == ".csv":
            write_csv(obj, path)
        elif suffix in (".jsonl", ".ndjson"):
            write_jsonl(obj, path)
        elif suffix == ".json":
            frame = obj.collect() if isinstance(obj, pl.LazyFrame) else obj
            write_json(frame.to_dicts(), path)
        else:
            raise ConfigError(
                f"cannot tell how to write a frame to {path.name!r} "
                "(expected a .parquet, .csv, .jsonl, .ndjson or .json name)"
            )
    elif isinstance(obj, bytes | str):
        write_bytes(obj, path)
    elif isinstance(obj, Mapping | list | tuple):
        write_json(obj, path)
    else:
        raise ConfigError(
            f"cannot write a {type(obj).__name__} to {path.name!r} "
            "(expected a Polars frame, dict/list (JSON), str or bytes)"
        )


# --------------------------------------------------------------------------- writer
class RunWriter:
    """Stage a run's outputs and publish them all at once.

    Use as a context manager: write into :attr:`path` (or with :meth:`write`);
    leaving the block without an exception commits (see the module docstring for
    the protocol), an exception discards the staged files and leaves the
    published run untouched. Only one writer per folder at a time (a second one
    raises :class:`~ringlens.exceptions.ExportError`).

    Parameters
    ----------
    out_dir
        The run folder (created if missing). Files in it that are not outputs of
        the new run are never touched.
    run_id
        Optional, only used to name the generation directory and in logs.
    keep_previous
        Keep the previously published generation (``.ringlens/previous``) until the
        next commit, so that readers holding it keep working and a diff against
        the last run stays possible. If False it is deleted right after commit.

    Attributes
    ----------
    path : Path
        The staging directory; write files here (e.g. ``stage.path / "viz"``).
    committed : Path or None
        The generation directory after a successful commit.

    Examples
    --------
    >>> import tempfile, pathlib, polars as pl
    >>> out = pathlib.Path(tempfile.mkdtemp())
    >>> with RunWriter(out, run_id="r1") as stage:
    ...     _ = stage.write("queue.parquet", pl.DataFrame({"queue_item_id": ["q1"]}))
    ...     _ = stage.write("run.json", {"run_id": "r1"})
    ...     (stage.path / "viz").mkdir()
    ...     _ = (stage.path / "viz" / "index.html").write_text("<html></html>")
    >>> sorted(p.name for p in out.iterdir() if not p.name.startswith("."))
    ['queue.parquet', 'run.json', 'viz']
    >>> pl.read_parquet(out / "queue.parquet")["queue_item_id"].to_list()
    ['q1']
    """

    def __init__(
        self,
        out_dir: str | os.PathLike[str],
        *,
        run_id: str | None = None,
        keep_previous: bool = True,
    ) -> None:
        self.out_dir = Path(out_dir)
        self.run_id = run_id
        self.keep_previous = keep_previous
        self.state_dir = self.out_dir / STATE_DIR
        self.committed: Path | None = None
        self._path: Path | None = None
        self._lock_fd: int | None = None

    # ------------------------------------------------------------------ lifecycle
    @property
    def path(self) -> Path:
        """The staging directory (only inside the ``with`` block)."""
        if self._path is None:
            raise ExportError(f"RunWriter for {self.out_dir} is not open (use it in a with block)")
        return self._path

    def __enter__(self) -> RunWriter:
        self.open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.abort()

    def open(self) -> Path:
        """Lock the folder, recover from an interrupted run, create the staging dir."""
        if self._path is not None:
            return self._path
        try:
            self.state_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _io_error("create run folder", self.state_dir, exc) from exc
        self._acquire_lock()
        try:
            self.recover()
            stamp = _dt.datetime.now(_dt.UTC).strftime("%Y%m%dT%H%M%S.%fZ")
            tag = _SAFE.sub("_", self.run_id)[:40] if self.run_id else ""
            name = "-".join(p for p in (stamp, tag, secrets.token_hex(4)) if p)
            self._gen_name = f"gen-{name}"
            self._path = self.state_dir / f"staging-{name}"
            self._path.mkdir()
        except OSError as exc:
            self._release_lock()
            raise _io_error("create staging directory in", self.state_dir, exc) from exc
        except BaseException:
            self._release_lock()
            raise
        logger.debug("staging run into %s", self._path)
        return self._path

    def _acquire_lock(self) -> None:
        lock_path = self.state_dir / _LOCK
        try:
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as exc:
            raise _io_error("create lock file", lock_path, exc) from exc
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                os.close(fd)
                raise ExportError(
                    f"another process is writing a run into {self.out_dir} "
                    f"(lock {lock_path} is held)"
                ) from exc
        self._lock_fd = fd

    def _release_lock(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # closing releases the flock
            self._lock_fd = None

    def write(self, name: str, obj: Any) -> Path:
        """Write one output into the staging directory.

        Parameters
        ----------
        name
            Relative path inside the run, e.g. ``"queue.csv"`` or ``"viz/index.html"``.
        obj
            A Polars frame (format from the suffix: ``.parquet``, ``.csv`` (spreadsheet
            safe), ``.jsonl``/``.ndjson``, ``.json``), a dict or list (JSON), ``str``
            (UTF-8 text) or ``bytes``.
        """
        rel = _check_relpath(name)
        target = self.path.joinpath(*rel.parts)
        _write_obj(obj, target)
        return target

    def abort(self) -> None:
        """Discard the staged files; the published run stays as it was."""
        try:
            if self._path is not None:
                _rmtree(self._path)
                logger.info("discarded staged run in %s", self.out_dir)
        finally:
            self._path = None
            self._release_lock()

    def commit(self) -> Path:
        """Publish the staged outputs atomically and return the generation directory."""
        staging = self.path
        try:
            names = sorted(p.name for p in staging.iterdir())
            gen = self.state_dir / self._gen_name
            _fsync_tree(staging)
            os.rename(staging, gen)
            self._path = None
            fsync_dir(self.state_dir)
            self._migrate_legacy(names)
            for name in names:  # step 2: links that dangle until current moves
                link = self.out_dir / name
                if not link.is_symlink():
                    _replace_symlink(link, _link_target(name))
            fsync_dir(self.out_dir)
            current = self.state_dir / _CURRENT
            old = os.readlink(current) if current.is_symlink() else None
            if old is not None and old != gen.name:
                _replace_symlink(self.state_dir / _PREVIOUS, old)
            _replace_symlink(current, gen.name)  # step 3: the commit point
            fsync_dir(self.state_dir)
            self.committed = gen
            logger.info("published run %s in %s", self.run_id or gen.name, self.out_dir)
            self._cleanup(keep_previous=self.keep_previous)
        except OSError as exc:
            raise _io_error("publish run in", self.out_dir, exc) from exc
        finally:
            if self._path is not None:
                _rmtree(self._path)
                self._path = None
            self._release_lock()
        return gen

    # ------------------------------------------------------------------ recovery
    def recover(self) -> None:
        """Clean up after an interrupted writer (caller holds the lock).

        Removes staging directories, temporary links, generations that neither
        ``current`` nor ``previous`` point at, and top-level output links that
        dangle. Never touches anything outside ``.ringlens/`` except such links.
        """
        self._cleanup(keep_previous=True)

    def _cleanup(self, *, keep_previous: bool) -> None:
        sd = self.state_dir
        keep = {_LOCK, _CURRENT, _PREVIOUS}
        refs: set[str] = set()
        for ptr in (_CURRENT, _PREVIOUS):
            p = sd / ptr
            if p.is_symlink():
                refs.add(os.readlink(p))
        if not keep_previous and (sd / _PREVIOUS).is_symlink():
            refs.discard(os.readlink(sd / _PREVIOUS))
            with contextlib.suppress(FileNotFoundError):
                (sd / _PREVIOUS).unlink()
        cur = os.readlink(sd / _CURRENT) if (sd / _CURRENT).is_symlink() else None
        if cur is not None:
            refs.add(cur)
        for entry in sd.iterdir():
            if entry.name in keep or entry.name in refs:
                continue
            if entry == self._path:
                continue
            logger.debug("removing leftover %s", entry)
            _rmtree(entry)
        prefix = f"{STATE_DIR}/{_CURRENT}/"
        for entry in self.out_dir.iterdir():
            if _TEMP_LINK.match(entry.name):
                _rmtree(entry)  # temp link (or swapped-out legacy dir) of an interrupted commit
            elif entry.is_symlink():
                target = os.readlink(entry)
                if target.startswith(prefix) and not entry.exists():
                    with contextlib.suppress(FileNotFoundError):
                        entry.unlink()  # an output the published run does not have

    def _migrate_legacy(self, names: list[str]) -> None:
        """Turn real files/dirs named like new outputs into links to an identical copy.

        A folder written before (by a non-atomic writer) has ``rings.parquet`` etc.
        as regular files. Each is hard-linked into the published generation (a new
        ``gen-legacy`` one if there is none) and then replaced by a link to it, so
        that what readers see does not change until the commit point.
        """
        legacy = [
            n
            for n in names
            if (self.out_dir / n).is_symlink()
            and os.readlink(self.out_dir / n) != _link_target(n)
            or (self.out_dir / n).exists()
            and not (self.out_dir / n).is_symlink()
        ]
        if not legacy:
            return
        current = self.state_dir / _CURRENT
        if current.is_symlink() and (self.state_dir / os.readlink(current)).is_dir():
            old_gen = self.state_dir / os.readlink(current)
        else:
            old_gen = self.state_dir / f"gen-legacy-{secrets.token_hex(4)}"
            old_gen.mkdir()
            fsync_dir(self.state_dir)
            _replace_symlink(current, old_gen.name)
        for name in legacy:
            src = self.out_dir / name
            dst = old_gen / name
            if not dst.exists() and src.exists():
                if src.is_dir():
                    shutil.copytree(src, dst, copy_function=_link_or_copy)
                else:
                    _link_or_copy(str(src), str(dst))
            _fsync_tree(old_gen)
            link_target = _link_target(name)
            if src.is_dir() and not src.is_symlink():
                tmp = src.with_name(f".{name}.{secrets.token_hex(6)}.lnk")
                os.symlink(link_target, tmp)
                if _renameat2_exchange(src, tmp):
                    _rmtree(tmp)  # tmp now is the old real directory
                else:  # documented fallback: a brief moment without the directory
                    aside = src.with_name(f".{name}.{secrets.token_hex(6)}.old")
                    os.rename(src, aside)
                    os.replace(tmp, src)
                    _rmtree(aside)
            else:
                _replace_symlink(src, link_target)
            logger.info("migrated legacy run output %s to a link", src)
        fsync_dir(self.out_dir)


def write_run(
    out_dir: str | os.PathLike[str],
    files: Mapping[str, Any],
    *,
    run_id: str | None = None,
    keep_previous: bool = True,
) -> Path:
    """Write a whole run folder at once: all of ``files`` are published, or none.

    Parameters
    ----------
    out_dir
        The run folder.
    files
        ``{relative path: content}``; see :meth:`RunWriter.write` for the content types.
    run_id, keep_previous
        See :class:`RunWriter`.

    Returns
    -------
    Path
        The published generation directory (see :func:`resolve_run`).

    Examples
    --------
    >>> import tempfile, pathlib, polars as pl
    >>> out = pathlib.Path(tempfile.mkdtemp())
    >>> _ = write_run(out, {"rings.parquet": pl.DataFrame({"ring_id": ["ring_1"]}),
    ...                     "run.json": {"run_id": "r1"}})
    >>> _ = write_run(out, {"rings.parquet": pl.DataFrame({"ring_id": ["ring_2"]}),
    ...                     "run.json": {"run_id": "r2"}})
    >>> pl.read_parquet(out / "rings.parquet")["ring_id"].to_list()
    ['ring_2']
    """
    with RunWriter(out_dir, run_id=run_id, keep_previous=keep_previous) as stage:
        for name, obj in files.items():
            stage.write(name, obj)
    assert stage.committed is not None
    return stage.committed
