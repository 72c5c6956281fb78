"""Parallel ingest on one machine: N worker processes compute ImageResults, this
process commits them (runners.run).

Each worker is started with the 'spawn' method (no fork of a process that holds
an open database, Qt or onnxruntime threads; also what Windows and macOS do),
loads its models once, runs OpenCV and onnxruntime on one thread, and handles one
image at a time over a pipe, so the parent always knows which image a worker
holds: a worker that dies (a crash in a decoder, the OOM killer) costs exactly
that image a per-image error, and a fresh worker takes its place. Cancel stops
the workers at once; their unfinished images were never committed, so nothing
committed is lost and a re-run continues by content hash.

Inside QGIS ``sys.executable`` is the QGIS binary, not Python: pass the
interpreter (``deps.python_executable()``) as `python`.
"""
import multiprocessing
import os
import sys
from multiprocessing.connection import wait

from ..models import ModelError
from .work import ImageResult, process_image

POLL_S = 0.1  # how often a waiting parent looks at is_canceled
STOP_S = 5.0  # how long a worker may take to exit before it is killed


class WorkerStartError(ModelError):
    """A worker process could not start or load its models."""


def _worker_main(conn, models, settings):
    import cv2

    cv2.setNumThreads(1)  # one process per core: OpenCV's own threads would only contend
    try:
        try:
            embedder, extractor = models()
        except BaseException as exc:  # noqa: BLE001 - reported to the parent, which stops the build
            conn.send(("failed", f"{type(exc).__name__}: {exc}"))
            return
        conn.send(("ready", os.getpid()))
        while True:
            task = conn.recv()
            if task is None:
                return
            rec, digest = task
            conn.send(("result", process_image(rec, digest, embedder, extractor, settings)))
    except (EOFError, OSError):  # the parent went away (killed, or stopped the build): nothing to hand over
        return


def _is_python(path):
    return os.path.basename(path or "").lower().startswith("python")


class _Worker:
    def __init__(self, ctx, models, settings):
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_worker_main, args=(child, models, settings), daemon=True,
                                name="geopin-ingest")
        self.proc.start()
        child.close()
        self.ready = False
        self.task = None  # the (record, sha256) it works on

    def send(self, task):
        """False when the worker has just died: the task is not its to blame."""
        try:
            self.conn.send(task)
        except (OSError, ValueError):
            return False
        self.task = task
        return True

    def stop(self, kill=False):
        if self.proc.is_alive() and not kill:
            try:
                self.conn.send(None)
            except (OSError, ValueError):
                pass
            self.proc.join(STOP_S)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join(STOP_S)
        self.conn.close()


class ProcessRunner:
    """`workers` processes (default: one per CPU core) on this machine.

    models: picklable zero-argument callable -> (embedder, extractor), called once
    in each worker (loaders.CatalogueModels, or loaders.models_for(...)).
    python: the interpreter for the workers (default: this one)."""

    def __init__(self, models, workers=None, python=None):
        self.models = models
        self.workers = max(1, int(workers or os.cpu_count() or 1))
        self.python = python
        self.canceled = False
        self.restarts = 0

    def _context(self):
        ctx = multiprocessing.get_context("spawn")
        exe = self.python or (sys.executable if _is_python(sys.executable) else None)
        if exe is None:
            raise WorkerStartError(f"cannot start worker processes: {sys.executable} is not a Python interpreter")
        if os.path.realpath(exe) != os.path.realpath(sys.executable):
            ctx.set_executable(exe)  # process-wide for 'spawn': QGIS itself never spawns with it
        return ctx

    def results(self, pending, settings, is_canceled=None):
        ctx = self._context()
        pool = [_Worker(ctx, self.models, settings) for _ in range(self.workers)]
        self._returned = []  # tasks a dying worker could not take: for the next free one
        exhausted = False
        try:
            while True:
                if is_canceled is not None and is_canceled():
                    self.canceled = True
                    return
                for w in pool:
                    if w.ready and w.task is None and not exhausted:
                        exhausted = not self._feed(w, pending)
                if exhausted and not any(w.task is not None for w in pool):
                    return
                ready = set(wait([w.conn for w in pool] + [w.proc.sentinel for w in pool], timeout=POLL_S))
                for i, w in enumerate(pool):
                    if w.conn not in ready and w.proc.sentinel not in ready:
                        continue
                    message = self._receive(w)
                    if message is None:  # the worker died
                        pool[i] = self._replace(ctx, w, settings)
                        if w.task is not None:
                            yield self._died(w)
                        continue
                    kind, payload = message
                    if kind == "nothing":
                        continue
                    if kind == "failed":
                        raise WorkerStartError(f"a worker process could not load the models: {payload}")
                    if kind == "ready":
                        w.ready = True
                        continue
                    w.task = None
                    if not exhausted:  # the next image first, so the worker computes while we commit
                        exhausted = not self._feed(w, pending)
                    yield payload
        finally:  # canceled, or an error while committing: unfinished images are dropped at once
            for w in pool:
                w.stop(kill=self.canceled or w.task is not None)

    def _feed(self, worker, pending):
        """Give `worker` the next image; False when there are no more."""
        task = self._returned.pop() if self._returned else next(pending, None)
        if task is None:
            return False
        if not worker.send(task):
            self._returned.append(task)
        return True

    @staticmethod
    def _receive(worker):
        """The worker's next message; None when it has died."""
        try:
            if worker.conn.poll():
                return worker.conn.recv()
        except (EOFError, OSError):
            return None
        return ("nothing", None) if worker.proc.is_alive() else None

    def _replace(self, ctx, dead, settings):
        dead.proc.join(STOP_S)
        code = dead.proc.exitcode
        dead.conn.close()
        if dead.task is None and not dead.ready:
            raise WorkerStartError(f"a worker process stopped while starting (exit code {code})")
        self.restarts += 1
        dead.exitcode = code
        return _Worker(ctx, self.models, settings)

    @staticmethod
    def _died(dead):
        rec, digest = dead.task
        return ImageResult(path=str(rec.path), digest=digest, source=rec.source, source_id=rec.source_id,
                           error=f"the worker process stopped on this image (exit code {dead.exitcode}); "
                                 "the image may be damaged or too large for the memory")
