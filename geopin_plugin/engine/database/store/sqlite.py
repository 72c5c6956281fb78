"""SQLite plumbing of GeoPin's GeoPackages (the reference store, the PDOK cache):
connections in explicit-transaction mode and the one transaction pattern.

Callers outside store/ catch StoreError / StoreDatabaseError instead of
importing sqlite3: the backend stays behind the store.
"""
import sqlite3
from contextlib import contextmanager
from pathlib import Path

StoreError = sqlite3.Error  # any failure of a store operation other than OSError
StoreDatabaseError = sqlite3.DatabaseError  # a damaged or foreign file, a full disk, a lock timeout


def connect(path, read_only=False):
    """A connection whose transactions are explicit (see transaction()); a
    read-only one never creates the file or a journal."""
    if read_only:
        return sqlite3.connect(Path(path).absolute().as_uri() + "?mode=ro", uri=True, timeout=30.0)
    con = sqlite3.connect(str(path), timeout=30.0, isolation_level=None)
    con.execute("PRAGMA foreign_keys = ON")
    con.execute("PRAGMA synchronous = FULL")
    return con


@contextmanager
def transaction(con):
    """BEGIN IMMEDIATE … COMMIT, ROLLBACK on any error or interrupt. IMMEDIATE takes
    the write lock first, so two writers wait for each other instead of failing
    on a lock upgrade in the middle."""
    con.execute("BEGIN IMMEDIATE")
    try:
        yield con
        con.execute("COMMIT")
    except BaseException:
        rollback(con)
        raise


def rollback(con):
    """Roll back when a transaction is open. SQLite already rolled back after
    SQLITE_FULL; a second ROLLBACK would replace "database or disk is full" by
    "cannot rollback - no transaction is active"."""
    try:
        if con.in_transaction:
            con.execute("ROLLBACK")
    except sqlite3.Error:
        pass
