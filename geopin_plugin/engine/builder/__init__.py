"""Building a reference database: ingest.py (``add_records`` for records, ``build`` for a
folder, the XFeat upgrade of older databases), coords.py (the coordinates CSV), and the
per-image work apart from the writing:

    records ─► commit.Writer.pending (sha256, skip stored) ─► runner ─► work.process_image
            (read, views, embed, local features, JPEG) ─► ImageResult ─► commit.Writer.commit
            (view files, then db.add_image: one transaction per image, in this process only)

Runners (runners.py): SerialRunner in this process; pool.ProcessRunner on the local
cores; cluster.DaskRunner on a Dask cluster (LocalCluster or a scheduler address).
Workers load their models from a recipe (loaders.py); ``runners.local_runner`` picks
the process pool for a machine.
"""
