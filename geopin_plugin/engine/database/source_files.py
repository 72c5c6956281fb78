"""Source-image paths read from a reference database: a database is a file people
copy between machines, so the paths in it are not trusted to name a file.

A database built without view copies cuts the match viewer's pictures (and a
feature upgrade's views) from the source images its rows name. A row naming
/dev/zero or a FIFO hung the dock's LocateTask and a build; any path was hashed.
Here a path is used only when it is absolute, resolves (symlinks followed) under
one of the folders the builds recorded (`source_roots` in the metadata; databases
built before they were recorded have none, and then only the next checks apply),
and is a regular file of at most MAX_SOURCE_BYTES, opened without blocking (a
FIFO open would wait for a writer); hashing it reads at most its size within
READ_DEADLINE_S.
"""
import hashlib
import os
import stat
import time
from pathlib import Path
from typing import Iterable, List, Optional

from ..errors import ImageError

MAX_SOURCE_BYTES = 1 << 30  # 1 GiB: a 120 MP (GeoPin's pixel limit) 16-bit TIFF is 720 MB
READ_DEADLINE_S = 120.0  # a network share slower than 9 MB/s at 1 GiB is given up on
ROOTS_KEY = "source_roots"
_CHUNK = 1 << 20


def roots_of(paths: Iterable[str]) -> List[str]:
    """The folders holding `paths` (resolved), without those inside another one."""
    folders = sorted({str(Path(p).resolve().parent) for p in paths if p})
    kept = []
    for f in folders:
        if not any(_under(f, k) for k in kept):
            kept.append(f)
    return kept


def record_roots(store, paths: Iterable[str]) -> None:
    """Add the folders of a build's input files to the database's recorded ones."""
    new = roots_of(paths)
    old = recorded_roots(store.meta)
    if old is None:  # first build since roots are recorded: the folders of the views it already has
        old = roots_of(_stored_source_paths(store)) if store.count else []
    merged = roots_of(os.path.join(r, "x") for r in old + new)
    if merged != old and store.writable:
        store.set_meta(**{ROOTS_KEY: merged})


def _stored_source_paths(store):
    """The distinct absolute source paths of a store's views (one scan, once per database)."""
    rows = store._con.execute("SELECT DISTINCT image_path FROM reference_views")  # the store's own connection
    return [p for (p,) in rows if isinstance(p, str) and os.path.isabs(p)]


def recorded_roots(meta) -> Optional[List[str]]:
    roots = meta.get(ROOTS_KEY)
    if not isinstance(roots, list) or not all(isinstance(r, str) for r in roots):
        return None
    return roots


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def checked_path(path, roots: Optional[List[str]]) -> str:
    """The resolved path when the database may name it as a source image; ImageError otherwise."""
    if not isinstance(path, str) or not path or not os.path.isabs(path):
        raise ImageError(f"the database names {path!r} as a source image, not an absolute file path; "
                         "the database is damaged or crafted: rebuild it")
    real = os.path.realpath(path)
    if roots is not None and not any(_under(real, r) for r in roots):
        raise ImageError(f"the source image {path} is outside the folders this database was built from; "
                         "the database is damaged or crafted: rebuild it")
    try:
        fd = os.open(real, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise ImageError(f"the source image {path} of this view cannot be read ({exc.strerror or exc}); "
                         "the database keeps no copy of its views") from exc
    try:
        st = os.fstat(fd)
    finally:
        os.close(fd)
    if not stat.S_ISREG(st.st_mode):
        raise ImageError(f"the source image {path} is not a regular file; the database is damaged or crafted: "
                         "rebuild it")
    if st.st_size > MAX_SOURCE_BYTES:
        raise ImageError(f"the source image {path} is {st.st_size / 2 ** 30:.1f} GiB, more than an image "
                         f"GeoPin reads ({MAX_SOURCE_BYTES / 2 ** 30:.0f} GiB)")
    return real


def checked_sha256(path, roots: Optional[List[str]]) -> str:
    """sha256 of a source image the database names, after checked_path; reads at
    most MAX_SOURCE_BYTES within READ_DEADLINE_S."""
    real = checked_path(path, roots)
    h, read, start = hashlib.sha256(), 0, time.monotonic()
    try:
        with open(real, "rb") as fh:
            while read <= MAX_SOURCE_BYTES:
                block = fh.read(_CHUNK)
                if not block:
                    return h.hexdigest()
                h.update(block)
                read += len(block)
                if time.monotonic() - start > READ_DEADLINE_S:
                    raise ImageError(f"reading the source image {path} took over {READ_DEADLINE_S:.0f} s; "
                                     "gave up")
    except OSError as exc:
        raise ImageError(f"the source image {path} of this view cannot be read ({exc.strerror or exc})") from exc
    raise ImageError(f"the source image {path} grew past {MAX_SOURCE_BYTES / 2 ** 30:.0f} GiB while read")
