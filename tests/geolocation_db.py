"""A small real reference database for the geolocation tests: five Amsterdam
panoramas (the Overtoom crossroads partners of the left-out panorama, plus two
other places) with the real models, built once per test session, and query
photos cut from a left-out panorama and from an unlocated one."""
import csv
from pathlib import Path

LEFT_OUT = "TMX7316010203-001041_pano_0002_002827"
PANOS = [
    "TMX7316010203-000992_pano_0001_000323",  # Overtoom partners, 7-12 m from LEFT_OUT
    "TMX7316010203-001041_pano_0002_002709",
    "TMX7316010203-001631_pano_0000_000280",
    "TMX7316010203-000711_pano_0000_003648",  # Waterlooplein
    "TMX7316010203-001127_pano_0000_000139",  # elsewhere
]
QUERY_HEADING = 180.0
QUERY_FOV = 65.0
UNLOCATED = "pano_0000_000672.jpg"


def manifest(datasets):
    with open(Path(datasets) / "amsterdam-panoramas" / "manifest.csv", newline="") as fh:
        return {r["pano_id"]: r for r in csv.DictReader(fh)}


def save_jpeg(path, rgb):
    import cv2

    cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 92])
    return Path(path)


def build(folder, datasets):
    """(database path, truth (lat, lon), query photo, unlocated photo) under ``folder``.
    A second call finds everything in place (ingest skips known images by hash)."""
    from geopin.geopin_plugin.engine.builder import ingest
    from geopin.geopin_plugin.engine.builder.config import BuildConfig
    from geopin.geopin_plugin.engine.images import load_image
    from geopin.geopin_plugin.engine.models import DEFAULT_EMBEDDER, DEFAULT_EXTRACTOR
    from geopin.geopin_plugin.engine.panorama import perspective_view
    from geopin.geopin_plugin.engine.registry import shared as _model

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rows = manifest(datasets)
    db = folder / "amsterdam_small.gpkg"
    if not db.exists():
        records = [ingest.ImageRecord(
            path=str(Path(datasets) / "amsterdam-panoramas" / rows[p]["file"]), lat=float(rows[p]["lat"]),
            lon=float(rows[p]["lon"]), source="amsterdam-panorama", pano_id=p, source_id=p, is_panorama=True,
            attribution="Gemeente Amsterdam",
            heading=0.0) for p in PANOS]  # north-centred (docs/geolocation.md): the query gets a heading
        report = ingest.add_records(str(db), records, _model("embedder", DEFAULT_EMBEDDER),
                                    _model("extractor", DEFAULT_EXTRACTOR), config=BuildConfig(panorama_headings=8))
        assert report.failed == 0, report.errors
    query = folder / "overtoom_query.jpg"
    if not query.exists():
        pano = load_image(Path(datasets) / "amsterdam-panoramas" / rows[LEFT_OUT]["file"])
        save_jpeg(query, perspective_view(pano, QUERY_HEADING, QUERY_FOV, (1024, 768)))
    unlocated = folder / "unlocated_query.jpg"
    if not unlocated.exists():
        pano = load_image(Path(datasets) / "amsterdam-unlocated" / UNLOCATED)
        save_jpeg(unlocated, perspective_view(pano, 45.0, QUERY_FOV, (1024, 768)))
    truth = (float(rows[LEFT_OUT]["lat"]), float(rows[LEFT_OUT]["lon"]))
    return db, truth, query, unlocated
