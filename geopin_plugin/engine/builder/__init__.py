"""Building a reference database: ingest.py (``add_records`` for records, ``build`` for a
folder, the XFeat upgrade of older databases), coords.py (the coordinates CSV), and the
per-image work apart from the writing:

    records ─► commit.Writer.pending (sha256, skip stored) ─► runner ─► work.process_image
            (read, views, embed, local features, JPEG) ─► ImageResult ─► commit.Writer.commit
            (view files, then db.add_image: one transaction per image, in this process only)

Runners (runners.py): SerialRunner in this process; pool.ProcessRunner on the local
cores; cluster.DaskRunner on a Dask cluster (LocalCluster or a scheduler address).
Workers load their models from a recipe (loaders.py).
"""
import os


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
