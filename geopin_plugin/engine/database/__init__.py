"""The reference database: ``refdb.ReferenceDatabase`` over a store (``store/``: the
GeoPackage) and a vector index (``index/``), with its cells, views cut from source
images, coverage, file checks and source-file roots."""
