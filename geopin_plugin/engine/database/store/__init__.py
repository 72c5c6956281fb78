"""Where the reference views live, behind the ReferenceStore protocol (base.py).
The GeoPackage implementation: gpkg.py (the store), schema.py (tables, point
blobs, SRS), viewfiles.py (the view JPEGs), sqlite.py (connections and the one
transaction pattern). A server-side store would be another module implementing
the same protocol."""
from .base import DatabaseError, MissingRowsError, ReferenceStore, ReferenceView  # noqa: F401
from .gpkg import GeoPackageStore  # noqa: F401
from .sqlite import StoreDatabaseError, StoreError  # noqa: F401
