"""The capture group a street-imagery source says an image belongs to (issue 23):
the Mapillary sequence, the Panoramax collection (one upload sequence), the
KartaView track (``sequenceId``), the Mapilio sequence, the Amsterdam capture run.
Each adapter names where its images carry it (``sequence_field``, or its own
``capture_group`` method: Amsterdam); this module says what a usable one is.

One capture group is one rig on one trip, so a static overlay (a nadir logo, a
hood, a burnt-in stamp) sits at the same pixels in all of its images: the build
learns its static-overlay mask per capture group (builder/mask_build.py). Images
without one (a folder of photos, a source answer without the field) are grouped
by folder + camera make, model and image size instead.
"""
from __future__ import annotations

from typing import Optional

MAX_LENGTH = 200  # a longer id is not an id a source sends: no group rather than a huge key


def clean_group(value) -> Optional[str]:
    """A source's sequence id as a capture group: a short non-empty text, else None."""
    if value is None or isinstance(value, (dict, list, bool)):
        return None
    value = str(value).strip()
    return value if 0 < len(value) <= MAX_LENGTH else None
