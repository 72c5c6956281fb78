"""The stored view JPEGs of a reference store: `<name>_views/<hh>/<sha256>_<i>.jpg`
beside `<name>.gpkg`, the path relative to the GeoPackage's folder in the
`view_image` column. Written and resolved only here; a stored path is confined
to that folder (a crafted GeoPackage must not make GeoPin read or write other files).
"""
from pathlib import Path

from ... import fsutil

JPEG_QUALITY = 92


class ViewFiles:
    def __init__(self, db_path):
        db_path = Path(db_path)
        self.base = db_path.parent
        self.folder = db_path.with_name(db_path.stem + "_views")

    def resolve(self, stored) -> str:
        """The file of a stored view path; "" when the value is absolute or escapes
        the database's folder."""
        target = fsutil.confined(self.base, stored)
        return "" if target is None else str(target)

    def write(self, content_hash, index, image) -> str:
        """Write view `index` of the image with this content hash (`image`: RGB
        array, or the JPEG bytes encode_jpeg made in a worker process); returns
        the stored (relative) path. Written under a unique temp name and renamed:
        two builds of the same image may write it at once."""
        stored = str(Path(self.folder.name) / content_hash[:2] / f"{content_hash}_{index}.jpg")
        target = fsutil.confined(self.base, stored)
        if target is None:
            raise ValueError(f"content hash {content_hash!r} would write outside {self.base}")
        data = image if isinstance(image, bytes) else encode_jpeg(image)
        target.parent.mkdir(parents=True, exist_ok=True)
        fsutil.atomic_write_bytes(target, data, fsync=False)
        return stored


def encode_jpeg(rgb) -> bytes:
    """A view as the store keeps it (workers encode, the writer only writes)."""
    import cv2

    from ...images import ImageError

    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    if not ok:
        raise ImageError("could not encode the view as JPEG")
    return buf.tobytes()
