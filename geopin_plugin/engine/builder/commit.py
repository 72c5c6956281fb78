"""The one writer of a build: which records still need work (content hash not
stored yet), and committing each ImageResult through the database's public
methods, one transaction per source image (``add_image``) as the serial ingest
always did. Whatever computed the results (this process, worker processes,
Dask workers), only this process writes, so a crash of a worker loses nothing
committed and a re-run skips every stored image by its hash.
"""
import os

from .. import fsutil
from ..fsutil import sha256_file
from ..database.store import DatabaseError
from ..database.store import StoreError


class Writer:
    """Commits results into an open ReferenceDatabase and keeps the BuildReport."""

    def __init__(self, db, report, run_started, progress=None, total=None):
        self.db = db
        self.report = report
        self.run_started = run_started
        self.progress = progress
        self.total = max(int(total or 0), 1)
        self.started = 0  # records taken up (the serial ingest's "i + 1")
        # sha256 -> the record's capture group: the results computed elsewhere do not carry it
        self._capture_groups = {}

    @property
    def done(self):
        r = self.report
        return r.added + r.skipped + r.failed

    def fail(self, path, reason, digest=None):
        self.report.failed += 1
        self.report.errors.append((str(path), reason))
        self.db.log_error(path, reason, digest, self.run_started)

    def pending(self, records, is_canceled=None):
        """(record, sha256) of each record still to process, lazily (so the hash
        is taken when a worker is free); records known to be unusable and images
        already stored are counted here. Stops when `is_canceled()` says so."""
        for rec in records:
            if is_canceled is not None and is_canceled():
                self.report.canceled = True
                return
            self.started += 1
            self.tell(rec.path)
            if rec.error:
                self.fail(rec.path, rec.error)
                continue
            try:
                digest = sha256_file(rec.path)
            except OSError as exc:
                self.fail(rec.path, f"cannot read file: {exc.strerror or exc}")
                continue
            if self.db.has_image(digest):
                self.report.skipped += 1
                continue
            if getattr(rec, "capture_group", None):
                self._capture_groups[digest] = rec.capture_group
            yield rec, digest

    def tell(self, path):
        """Progress: the share of records finished, and the one taken up now."""
        if self.progress is not None:
            r = self.report
            self.progress("build", min(self.done / self.total, 1.0),
                          f"{self.started}/{self.total} {os.path.basename(str(path))}: "
                          f"{r.added} added, {r.skipped} skipped, {r.failed} failed")

    def commit(self, result):
        """Store one ImageResult: the store writes its view JPEGs, then its rows in one transaction.
        A full disk or a read-only folder stops the run with the reason."""
        if result.error is not None:
            self._capture_groups.pop(result.digest, None)
            self.fail(result.path, result.error, result.digest)
            return
        try:
            self._store(result)
        except (OSError, StoreError) as exc:
            message = fsutil.describe_write_error(exc, result.path)
            if message is not None:
                raise DatabaseError(message) from exc
            if isinstance(exc, StoreError):
                raise
            self.fail(result.path, f"cannot process this file: {exc}", result.digest)

    def _store(self, result):
        ids = self.db.add_image(result.digest, result.path, result.source, result.source_id, result.views,
                                result.embeddings, result.features, result.extractor_id, images=result.jpegs,
                                capture_group=self._capture_groups.pop(result.digest, None))
        if ids is None:  # another build on this database stored it meanwhile
            self.report.skipped += 1
            return
        self.report.added += 1
        self.report.views_added += len(result.views)
