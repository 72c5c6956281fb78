"""Who computes the per-image results of a build, behind one small interface:
``runner.results(pending, settings, is_canceled)`` yields an
ImageResult for each (record, sha256) it takes from `pending`, in any order,
and sets ``runner.canceled`` when it stopped early because `is_canceled()` said
so. ``SerialRunner`` is the in-process one (the default); pool.ProcessRunner
and cluster.DaskRunner spread the same work.process_image over processes.
"""
import os

from .commit import Writer
from .work import process_image


class SerialRunner:
    """One image at a time in this process, with the caller's models."""

    def __init__(self, embedder, extractor):
        self.embedder = embedder
        self.extractor = extractor
        self.canceled = False

    def results(self, pending, settings, is_canceled=None):
        for rec, digest in pending:
            yield process_image(rec, digest, self.embedder, self.extractor, settings)


def run(db, records, runner, settings, report, run_started, progress=None, is_canceled=None, total=None):
    """Compute with `runner`, commit in this process: the one writer of a build."""
    writer = Writer(db, report, run_started, progress, total)
    pending = writer.pending(records, is_canceled)
    for result in runner.results(pending, settings, is_canceled):
        writer.commit(result)
    if getattr(runner, "canceled", False):
        report.canceled = True
    return report


def local_runner(embedder, extractor, workers=None, python=None, images=None):
    """A ProcessRunner with `workers` processes (default: one per CPU core) that
    load models equal to `embedder` and `extractor`, or None (run serially) when
    one process is asked for, at most one image is to be done, or the models
    cannot be loaded again in another process."""
    from .loaders import models_for
    from .pool import ProcessRunner

    workers = int(workers or os.cpu_count() or 1)
    if images is not None:
        workers = min(workers, int(images))
    if workers <= 1:
        return None
    models = models_for(embedder, extractor)
    return None if models is None else ProcessRunner(models, workers, python)
