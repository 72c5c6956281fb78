"""File-system helpers shared by the reference database, the ingest and the
models: temp names unique per writer, an advisory lock between processes, paths
confined to a folder, content hashes, and OS/SQLite errors turned into messages
that name the file and the fix.
"""
import errno
import hashlib
import os
import sqlite3
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Optional

try:  # POSIX
    import fcntl
except ImportError:  # Windows
    fcntl = None
    import msvcrt

LOCK_TIMEOUT_S = 600.0


def unique_tmp(path) -> Path:
    """A temp name beside `path` that no other process or thread uses: two
    writers never rename each other's half-written file."""
    path = Path(path)
    return path.with_name(f"{path.name}.{os.getpid()}-{threading.get_ident()}-{uuid.uuid4().hex[:8]}.tmp")


def atomic_write_bytes(path, data: bytes, fsync=True):
    """Write to a unique temp file, check its size, then rename over `path`; the
    temp file never stays behind (also on a full disk)."""
    path = Path(path)
    tmp = unique_tmp(path)
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            if fsync:
                os.fsync(fh.fileno())
        if os.path.getsize(tmp) != len(data):
            raise OSError(errno.ENOSPC, "file written short (disk full?)", str(path))
        os.replace(tmp, path)
    except BaseException:
        remove_quietly(tmp)
        raise


def sha256_file(path, chunk=1 << 20) -> str:
    """Hex sha256 of a file's bytes, read in chunks (the identity of an image or a model file)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(chunk), b""):
            h.update(block)
    return h.hexdigest()


def remove_quietly(path):
    try:
        os.unlink(path)
    except OSError:
        pass


def folder_writable(path) -> bool:
    """Whether new files can be created beside `path` (SQLite needs that for its
    journal, the index for its temp file). Tried for real: permission bits lie for
    root and on read-only mounts."""
    folder = Path(path).parent
    probe = folder / f".geopin-write-test-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        with open(probe, "wb"):
            pass
    except OSError:
        return False
    remove_quietly(probe)
    return True


@contextmanager
def file_lock(lock_path, timeout=LOCK_TIMEOUT_S):
    """An advisory exclusive lock on `lock_path` (created if needed) between
    processes; yields False without locking when the folder is read-only."""
    try:
        fh = open(lock_path, "a+b")
    except OSError:
        yield False
        return
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                if fcntl is not None:
                    fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                else:
                    fh.seek(0)
                    msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{lock_path} is locked by another GeoPin process for {timeout:.0f} s")
                time.sleep(0.05)
        yield True
    finally:
        try:
            if fcntl is not None:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
            else:
                fh.seek(0)
                msvcrt.locking(fh.fileno(), msvcrt.LK_UNLCK, 1)
        except OSError:
            pass
        fh.close()


def confined(base_dir, relative) -> Optional[Path]:
    """`base_dir / relative` when that stays inside base_dir (no absolute path,
    no `..` escape, no drive letter); None otherwise."""
    if not relative or not isinstance(relative, str):
        return None
    rel = Path(relative)
    if rel.is_absolute() or rel.drive or relative.startswith(("/", "\\")):
        return None
    base = Path(base_dir).resolve()
    target = (base / rel).resolve()
    try:
        target.relative_to(base)
    except ValueError:
        return None
    return target


def is_disk_full(exc) -> bool:
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
        return True
    return isinstance(exc, sqlite3.Error) and "disk is full" in str(exc).lower()


def is_read_only(exc) -> bool:
    if isinstance(exc, OSError) and exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return True
    text = str(exc).lower()
    return isinstance(exc, sqlite3.Error) and ("readonly" in text or "read-only" in text)


def describe_write_error(exc, path) -> Optional[str]:
    """A user message (what happened, which file, the fix) for a write that failed
    because the disk is full or the place is read-only; None for other errors."""
    if is_disk_full(exc):
        return (f"the disk is full while writing {path}: free some space (or choose another folder) and run "
                "again; everything committed before is kept")
    if is_read_only(exc):
        return (f"cannot write {path}: the file or its folder is read-only; copy the database to a writable "
                "folder or choose another output")
    return None
