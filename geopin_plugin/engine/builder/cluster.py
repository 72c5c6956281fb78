"""A distributed build on Dask (``dask.distributed``): the per-image work runs as
Dask tasks, this process (the client) is the one writer.

Tasks are submitted a window at a time (twice the cluster's threads) as the
writer takes records, and committed as they complete (``as_completed``), one
transaction per image. A task's result lives in a worker's memory only until the
client has it, so a killed worker costs at most its uncommitted tasks, which the
scheduler runs again elsewhere; one image that keeps killing workers ends as a
per-image error (``KilledWorker``, after distributed.scheduler.allowed-failures).
A killed client loses nothing committed, and the next run skips stored images by
content hash.

Without a scheduler address a ``LocalCluster`` is started (one thread per worker
process, so workers share cores as the local ProcessRunner does). With an address
the workers must import this plugin (the folder holding ``geopin`` on their
PYTHONPATH), read the image paths as the client sees them (a shared file system)
and hold the same built models (see docs/scale.md).
"""
import logging
import os
import time

from .work import ImageResult, process_image

POLL_S = 0.1  # how often the client looks at is_canceled while tasks run
_MODELS = {}  # in each worker process: recipe -> (embedder, extractor), loaded once


class ClusterError(RuntimeError):
    """The cluster, not an image, failed (unreachable, another software environment)."""


def _models(recipe):
    models = _MODELS.get(recipe)
    if models is None:
        import cv2

        cv2.setNumThreads(1)  # one thread per worker process: OpenCV's own threads would contend
        models = _MODELS[recipe] = recipe()
    return models


def image_task(rec, digest, settings, recipe):
    """One Dask task: the ImageResult of one image, with the worker's models."""
    embedder, extractor = _models(recipe)
    return process_image(rec, digest, embedder, extractor, settings)


class DaskRunner:
    """models: a hashable, picklable recipe (loaders.CatalogueModels). scheduler:
    'tcp://host:8786' of a running cluster, or None for a LocalCluster of
    `n_workers` processes (default: one per CPU core)."""

    def __init__(self, models, scheduler=None, n_workers=None, window=None):
        self.models = models
        self.scheduler = scheduler
        self.n_workers = max(1, int(n_workers or os.cpu_count() or 1))
        self.window = window
        self.canceled = False
        self.client = None  # while results() runs (tests reach the workers through it)

    def _connect(self):
        from distributed import Client, LocalCluster

        if self.scheduler:
            return Client(self.scheduler), None
        cluster = LocalCluster(n_workers=self.n_workers, threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=logging.ERROR)
        return Client(cluster), cluster

    def results(self, pending, settings, is_canceled=None):
        from distributed import as_completed

        client, cluster = self._connect()
        self.client = client
        running = {}
        try:
            window = self.window or 2 * max(1, sum(client.nthreads().values()))
            done = as_completed()
            exhausted = False
            submitted = 0
            while True:
                while not exhausted and len(running) < window:
                    item = next(pending, None)
                    if item is None:
                        exhausted = True
                        break
                    rec, digest = item
                    submitted += 1  # the same bytes under two names are two tasks: keys stay unique
                    future = client.submit(image_task, rec, digest, settings, self.models,
                                           key=f"geopin-image-{submitted}-{digest[:16]}", pure=False)
                    running[future.key] = (future, rec, digest)
                    done.add(future)
                if not running:
                    return
                if is_canceled is not None and is_canceled():
                    self.canceled = True
                    return
                batch = done.next_batch(block=False) if done.has_ready() else []
                if not batch:
                    time.sleep(POLL_S)
                    continue
                for future in batch:
                    _, rec, digest = running.pop(future.key)
                    yield self._result(future, rec, digest)
        finally:
            self.client = None
            if running:
                client.cancel([f for f, _, _ in running.values()])
            client.close()
            if cluster is not None:
                cluster.close()

    @staticmethod
    def _result(future, rec, digest):
        """The task's ImageResult. process_image never raises for an image, so only
        a worker killed on it again and again makes an image fail here; any other
        error is the cluster's (another software environment, a lost scheduler)
        and stops the build with its reason."""
        try:
            return future.result()
        except Exception as exc:
            if type(exc).__name__ != "KilledWorker":
                raise ClusterError(f"the Dask cluster could not run the build: {type(exc).__name__}: {exc}") from exc
            return ImageResult(path=str(rec.path), digest=digest, source=rec.source, source_id=rec.source_id,
                               error="the worker processes stopped on this image (it may be damaged or too large "
                                     "for their memory)")
        finally:
            future.release()
