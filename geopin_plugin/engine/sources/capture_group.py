"""The capture group a street-imagery source says an image belongs to (issue 23):
the Mapillary sequence, the Panoramax collection (one upload sequence), the
KartaView track (``sequenceId``), the Mapilio sequence, the Amsterdam capture run.

One capture group is one rig on one trip, so a static overlay (a nadir logo, a
hood, a burnt-in stamp) sits at the same pixels in all of its images: the build
learns its static-overlay mask per capture group (builder/mask_build.py). Images
without one (a folder of photos, a source answer without the field) are grouped
by folder + camera make, model and image size instead.
"""
from __future__ import annotations

import re
from typing import Optional

from .image import SourceImage

# which ``SourceImage.extra`` field holds the source's sequence id (the adapters keep it there)
SEQUENCE_FIELDS = {
    "mapillary": "sequence",
    "panoramax": "collection",
    "kartaview": "sequence_id",
    "mapilio": "sequence_uuid",
}
# an Amsterdam panorama id is "<capture run>_pano_<camera>_<frame>", e.g.
# TMX7315120208-000059_pano_0006_000037: the shared dataset's manifest names that
# prefix capture_run (../shared/datasets/amsterdam-panoramas/manifest.csv)
_AMSTERDAM_RUN = re.compile(r"^(.+?)_pano_\d+_\d+$")
MAX_LENGTH = 200  # a longer id is not an id a source sends: no group rather than a huge key


def capture_group(source: str, image: SourceImage) -> Optional[str]:
    """``image``'s capture group as its source names it, or None when it does not say."""
    if source == "amsterdam":
        m = _AMSTERDAM_RUN.match(str(image.source_id or ""))
        value = m.group(1) if m else None
    else:
        field = SEQUENCE_FIELDS.get(source)
        value = (image.extra or {}).get(field) if field else None
    if value is None or isinstance(value, (dict, list, bool)):
        return None
    value = str(value).strip()
    return value if 0 < len(value) <= MAX_LENGTH else None
