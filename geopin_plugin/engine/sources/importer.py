"""Import street-level imagery from a source into a reference database.

search (evenly sampled) -> skip what the database already holds for this source
(by source id, before downloading) -> download into ``<db>_sources/<source>/``
-> ingest.add_records in batches (each image is its own transaction there; the
search index is brought up to date once per batch, which reads all embeddings, so
batches are not tiny). A cancel, a crash or a failing server leaves every ingested
image stored, downloaded files stay on disk for reuse, and the next run resumes
where it stopped with no duplicates (ingest also skips identical files by content hash).
A failing image is logged and skipped; it never stops the import.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional, Set, Tuple

from .base import LOG, AuthError, StreetImagerySource, check_image_bytes
from ..errors import Cancelled, ImageError
from ..types import CancelFn, ProgressFn
from .image import SourceImage


@dataclass
class ImportReport:
    source: str
    database: str
    found: int = 0  # selected by the search (after sampling)
    available: int = 0  # candidates the search saw
    truncated: bool = False  # the area holds more than MAX_IMAGES: an even sample was taken
    failed_cells: int = 0  # parts of the area whose search failed after retries (the rest was imported)
    warnings: List[str] = field(default_factory=list)
    already_stored: int = 0  # skipped before download: source id already in the database
    downloaded: int = 0
    reused: int = 0  # complete files left by an interrupted run
    download_failed: int = 0
    added: int = 0
    skipped: int = 0  # ingest: same file content already stored
    failed: int = 0  # ingest: file unusable
    views_added: int = 0
    errors: List[Tuple[str, str]] = field(default_factory=list)
    canceled: bool = False
    source_title: str = ""
    masks: Optional[object] = None  # builder/mask_build.MaskReport: overlay masks learned per capture group


def images_dir_for(database) -> Path:
    database = Path(database)
    return database.with_name(database.stem + "_sources")


def stored_source_ids(database, source: str) -> Set[str]:
    """Source ids of ``source`` already in ``database`` (empty when it does not exist yet)."""
    from ..database.refdb import ReferenceDatabase
    from ..database.store import StoreDatabaseError

    database = Path(database)
    if not database.exists() or database.stat().st_size == 0:
        return set()
    with ReferenceDatabase.read_only(database) as db:
        try:
            return db.source_ids(source)
        except StoreDatabaseError:
            return set()  # not a GeoPin database (yet): ingest will say so clearly


def safe_name(source_id: str) -> str:
    """A file name for a source id, one per id: an id that is not already a plain
    lower-case name (``a/b``, ``a b``, ``A``, a long one) gets a hash of the id, so
    ``a/b``, ``a_b`` and ``a b`` (or ``A`` and ``a`` on a case-insensitive disk)
    never share a file and none of them is dropped as already downloaded."""
    source_id = str(source_id)
    if re.fullmatch(r"[a-z0-9][a-z0-9._-]{0,119}", source_id) and not source_id.endswith("."):
        return source_id
    readable = re.sub(r"[^A-Za-z0-9._-]+", "_", source_id).strip("._")[:80] or "image"
    return f"{readable}-{hashlib.sha1(source_id.encode('utf-8')).hexdigest()[:12]}"


def to_record(image: SourceImage, path: Path, source: StreetImagerySource):
    from ..builder.ingest import ImageRecord

    return ImageRecord(
        path=str(path), lat=image.lat, lon=image.lon, heading=image.heading, capture_time=image.capture_time,
        source=image.source or source.name, source_id=image.source_id, licence=image.licence,
        attribution=image.attribution,
        is_panorama=image.is_panorama if source.knows_panoramas else None,  # None: ingest looks at the file
        pano_id=image.source_id if image.is_panorama is not False else None,
        capture_group=source.capture_group(image),
    )


def import_street_imagery(source: StreetImagerySource, area, database, embedder, extractor, max_images=500,
                          start_date=None, end_date=None, image_size=1024, images_dir=None,
                          config=None, batch_size=50,
                          progress: Optional[ProgressFn] = None,
                          is_canceled: Optional[CancelFn] = None) -> ImportReport:
    """Find, download and ingest images of ``source`` inside ``area``. Raises
    AuthError (token) and SourceError (search failed after retries); everything
    that goes wrong with one image is in ``report.errors``."""
    from ..builder.ingest import add_records

    canceled = is_canceled or (lambda: False)

    def say(fraction, message):
        if progress is not None:
            progress("import", fraction, message)

    source.is_canceled = canceled
    report = ImportReport(source=source.name, database=str(database), source_title=source.title)
    images_dir = Path(images_dir) if images_dir else images_dir_for(database) / source.name

    say(0.0, f"searching {source.title}")
    try:
        result = source.search(area, max_images, start_date, end_date, image_size)
    except Cancelled:
        report.canceled = True
        return report
    report.found, report.available = len(result.images), result.available
    report.truncated, report.warnings = result.truncated, list(result.warnings)
    report.failed_cells = len(getattr(result, "failed_cells", []) or [])

    stored = stored_source_ids(database, source.name)
    todo = [im for im in result.images if im.source_id not in stored]
    report.already_stored = len(result.images) - len(todo)
    say(0.1, f"{len(result.images)} found, {report.already_stored} already stored, {len(todo)} to fetch")

    batch = []

    def flush():
        if not batch:
            return
        built = add_records(database, batch, embedder, extractor, config, is_canceled=canceled)
        report.added += built.added
        report.skipped += built.skipped
        report.failed += built.failed
        report.views_added += getattr(built, "views_added", 0)
        report.errors.extend(built.errors)
        if getattr(built, "masks", None) is not None:
            from ..builder.mask_build import MaskReport

            report.masks = (report.masks or MaskReport()).add(built.masks)
        if getattr(built, "canceled", False):
            report.canceled = True
        batch.clear()

    for i, image in enumerate(todo):
        if canceled():
            report.canceled = True
            break
        say(0.1 + 0.9 * i / max(len(todo), 1), f"{i + 1}/{len(todo)}: {source.title} {image.source_id}")
        dest = images_dir / f"{safe_name(image.source_id)}.jpg"
        try:
            if dest.exists() and _complete(dest):
                report.reused += 1
            else:
                source.download(image, dest)
                report.downloaded += 1
        except Cancelled:
            report.canceled = True
            break
        except AuthError:
            flush()
            raise
        except ImageError as exc:
            report.download_failed += 1
            report.errors.append((f"{source.name}:{image.source_id}", str(exc)))
            LOG.warning("skipped: %s", exc)
            continue
        batch.append(to_record(image, dest, source))
        if len(batch) >= batch_size:
            flush()
            if report.canceled:
                break
    if not report.canceled:  # on cancel the downloaded files stay on disk for the next run
        flush()
    say(1.0, f"{report.added} added, {report.already_stored} already stored, "
             f"{report.download_failed + report.failed} failed")
    return report


def _complete(path: Path) -> bool:
    try:
        check_image_bytes(path.read_bytes(), str(path))
        return True
    except (OSError, ImageError):
        return False
