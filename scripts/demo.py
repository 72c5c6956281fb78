"""`make demo`: GeoPin end to end on real Amsterdam street panoramas.

1. builds a reference database from ../shared/datasets/amsterdam-panoramas
   (manifest.csv positions) leaving one Overtoom panorama out (its partners from
   other capture runs are 7-12 m away); re-runs skip it (content hashes);
2. cuts a phone-like perspective view from the left-out panorama and geolocates it;
3. writes build/demo/geopin_demo.gpkg (candidates, estimate, footprints, reference
   coverage), build/demo/posterior.tif, build/demo/map.png (rendered by QGIS:
   results over the reference coverage) and build/demo/matches.png;
4. prints the estimate, its confidence and the error against the truth.

    .venv/bin/python scripts/demo.py [--leave-out PANO_ID] [--heading DEG] [--fov DEG]
"""
import argparse
import csv
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # also when loaded by runpy/importlib
from plugin_path import REPO  # noqa: E402  (the checkout as package `geopin`)
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

LEAVE_OUT = "TMX7316010203-001041_pano_0002_002827"
# A 65° view that three partner views verify (two of the panorama 7 m away, one of
# the one 42 m away); at 202.5°-247.5° the best matches are the panorama 42 m down
# the street and the estimate lands 27-42 m off (see docs/geolocation.md).
QUERY_HEADING = 180.0
QUERY_FOV = 65.0
OUT = REPO / "build" / "demo"
UNLOCATED = "pano_0000_000672.jpg"  # amsterdam-unlocated: a place the database does not cover
ATTRIBUTION = "Gemeente Amsterdam (panorama open data)"


def datasets_dir():
    from geopin.geopin_plugin.engine.paths import datasets_dir as d

    return Path(d())


def manifest(folder=None):
    folder = Path(folder or datasets_dir() / "amsterdam-panoramas")
    with open(folder / "manifest.csv", newline="") as fh:
        return [dict(row, path=str(folder / row["file"])) for row in csv.DictReader(fh)]


def build_database(db_path, leave_out=(), headings=8, log=print, rows=None):
    """Reference database of the Amsterdam panoramas minus ``leave_out`` (pano ids).
    Images already in the database are skipped by content hash, so a re-run is quick."""
    from geopin.geopin_plugin.engine.builder import ingest
    from geopin.geopin_plugin.engine.builder.config import BuildConfig
    from geopin.geopin_plugin.engine.models import DEFAULT_EMBEDDER, DEFAULT_EXTRACTOR
    from geopin.geopin_plugin.engine.registry import shared as _model

    rows = [r for r in (rows or manifest()) if r["pano_id"] not in set(leave_out)]
    records = [ingest.ImageRecord(path=r["path"], lat=float(r["lat"]), lon=float(r["lon"]), source="amsterdam-panorama",
                                  source_id=r["pano_id"], pano_id=r["pano_id"], attribution=ATTRIBUTION,
                                  licence="open data", is_panorama=True,
                                  heading=0.0)  # published north-centred (docs/geolocation.md)
               for r in rows]
    Path(db_path).parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    report = ingest.add_records(
        str(db_path), records, _model("embedder", DEFAULT_EMBEDDER), _model("extractor", DEFAULT_EXTRACTOR),
        BuildConfig(panorama_headings=headings),
        progress=lambda s, f, m: log(f"  [{f * 100:5.1f} %] {m}") if m and "added" in m else None)
    log(f"database {db_path}: {report.added} panoramas added, {report.skipped} already there, "
        f"{report.failed} failed ({time.perf_counter() - t0:.1f} s)")
    if report.failed:
        raise SystemExit(f"database build failed: {report.errors}")
    return report


def query_view(pano_path, heading=QUERY_HEADING, fov=QUERY_FOV, size=(1024, 768)):
    """A phone-like view (horizon centred) of a panorama, between the reference headings."""
    from geopin.geopin_plugin.engine.images import load_image
    from geopin.geopin_plugin.engine.panorama import perspective_view

    return perspective_view(load_image(pano_path), heading, fov, size)


def save_rgb(path, rgb):
    import cv2

    Path(path).parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 92])
    return str(path)


def write_outputs(gpkg, photo, geo, db_path):
    """Result layers and the reference coverage into one GeoPackage (EPSG:28992)."""
    from qgis.core import QgsVectorFileWriter, QgsVectorLayer, QgsCoordinateTransformContext

    from geopin.geopin_plugin import result_layers as rl

    if Path(gpkg).exists():
        Path(gpkg).unlink()
    layers = {
        "estimate": rl.memory_layer("estimates", "Point", "estimate", rl.estimate_fields(),
                                    [rl.estimate_feature(photo, geo)]),
        "candidates": rl.memory_layer("candidates", "Point", "candidates", rl.candidate_fields(),
                                      rl.candidate_features(photo, geo)),
        "footprints": rl.memory_layer("footprints", "MultiPolygon", "footprints", rl.footprint_fields(),
                                      rl.footprint_features(photo, geo)),
        "viewcones": rl.memory_layer("viewcones", "Polygon", "viewcones", rl.viewcone_fields(),
                                     rl.viewcone_features(photo, geo)),
    }
    coverage = QgsVectorLayer(f"{db_path}|layername=reference_views", "reference coverage", "ogr")
    if coverage.isValid():
        layers["reference_coverage"] = coverage
    for i, (name, layer) in enumerate(layers.items()):
        opts = QgsVectorFileWriter.SaveVectorOptions()
        opts.driverName = "GPKG"
        opts.layerName = name
        opts.actionOnExistingFile = (QgsVectorFileWriter.CreateOrOverwriteFile if i == 0
                                     else QgsVectorFileWriter.CreateOrOverwriteLayer)
        err = QgsVectorFileWriter.writeAsVectorFormatV2(layer, str(gpkg), QgsCoordinateTransformContext(), opts)
        if err[0] != QgsVectorFileWriter.NoError:
            raise SystemExit(f"cannot write {name} to {gpkg}: {err}")
    return layers


def render_map(png, layers, posterior_tif, truth_xy, extent_half=90.0, size=(1200, 900), caption=""):
    """Render the result layers over the reference coverage with QGIS."""
    from qgis.core import (QgsFeature, QgsGeometry, QgsMapRendererParallelJob, QgsMapSettings, QgsMarkerSymbol,
                           QgsPointXY, QgsRasterLayer, QgsRectangle, QgsSingleSymbolRenderer, QgsVectorLayer,
                           QgsPalLayerSettings, QgsTextFormat, QgsVectorLayerSimpleLabeling, QgsTextBufferSettings)
    from qgis.PyQt.QtCore import QSize
    from qgis.PyQt.QtGui import QColor

    from geopin.geopin_plugin import result_layers as rl, result_styles

    ordered = [layers["estimate"], layers["candidates"]]
    truth = QgsVectorLayer("Point?crs=EPSG:28992&field=name:string", "truth", "memory")
    f = QgsFeature(truth.fields())
    f.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(*truth_xy)))
    f.setAttributes(["truth"])
    truth.dataProvider().addFeatures([f])
    truth.setRenderer(QgsSingleSymbolRenderer(QgsMarkerSymbol.createSimple(
        {"name": "cross2", "color": "#00a000", "outline_color": "#00a000", "size": "6", "outline_width": "0.8"})))
    settings = QgsPalLayerSettings()
    settings.fieldName = "name"
    fmt = QgsTextFormat()
    fmt.setSize(10)
    fmt.setColor(QColor("#006000"))
    buf = QgsTextBufferSettings()
    buf.setEnabled(True)
    fmt.setBuffer(buf)
    settings.setFormat(fmt)
    truth.setLabeling(QgsVectorLayerSimpleLabeling(settings))
    truth.setLabelsEnabled(True)
    ordered.insert(0, truth)
    ordered += [layers["viewcones"], layers["footprints"]]  # the view cone drawn over the footprints
    if "reference_coverage" in layers:  # small squares drawn over the candidate circles
        cov = layers["reference_coverage"]
        cov.setRenderer(QgsSingleSymbolRenderer(QgsMarkerSymbol.createSimple(
            {"name": "square", "color": "#1f78b4", "outline_color": "#ffffff", "size": "1.6"})))
        ordered.insert(ordered.index(layers["candidates"]), cov)
    if posterior_tif:
        raster = QgsRasterLayer(str(posterior_tif), "posterior")
        if raster.isValid():
            result_styles.style_posterior(raster)
            ordered.append(raster)
    ms = QgsMapSettings()
    ms.setLayers(ordered)
    ms.setDestinationCrs(rl.rd_crs())
    cx, cy = truth_xy
    ms.setExtent(QgsRectangle(cx - extent_half * 4 / 3, cy - extent_half, cx + extent_half * 4 / 3, cy + extent_half))
    ms.setOutputSize(QSize(*size))
    ms.setBackgroundColor(QColor("#f4f4f0"))
    job = QgsMapRendererParallelJob(ms)
    job.start()
    job.waitForFinished()
    img = job.renderedImage()
    if caption:
        from qgis.PyQt.QtGui import QFont, QPainter

        painter = QPainter(img)
        painter.setFont(QFont("DejaVu Sans", 13))
        painter.setPen(QColor("#202020"))
        for i, line in enumerate(caption.splitlines()):
            painter.drawText(16, 28 + 22 * i, line)
        painter.end()
    Path(png).parent.mkdir(parents=True, exist_ok=True)
    if not img.save(str(png), "PNG"):
        raise SystemExit(f"cannot save {png}")
    return str(png)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--leave-out", default=LEAVE_OUT, help="panorama id left out of the database and queried")
    ap.add_argument("--heading", type=float, default=QUERY_HEADING, help="query view heading in the panorama (degrees)")
    ap.add_argument("--fov", type=float, default=QUERY_FOV, help="query view horizontal field of view (degrees)")
    ap.add_argument("--out", default=str(OUT))
    args = ap.parse_args(argv)

    from qgis.core import QgsApplication

    app = QgsApplication([], False)
    app.initQgis()
    try:
        return run(args)
    finally:
        app.exitQgis()


def run(args):
    from geopin.geopin_plugin.engine.geo import geodesic_distance_m, wgs84_to_rd
    from geopin.geopin_plugin.engine.verification.matchviz import draw_matches
    from geopin.geopin_plugin.engine.pipeline import Geolocator
    from geopin.geopin_plugin import result_layers as rl

    out = Path(args.out)
    rows = manifest()
    target = [r for r in rows if r["pano_id"] == args.leave_out]
    if not target:
        raise SystemExit(f"{args.leave_out} is not in the Amsterdam manifest")
    target = target[0]
    db_path = out / f"amsterdam_without_{args.leave_out}.gpkg"
    print(f"1. reference database (all Amsterdam panoramas but {args.leave_out})")
    build_database(db_path, leave_out=[args.leave_out], rows=rows)

    print(f"2. query: a {args.fov:.0f}° view at heading {args.heading:.1f}° cut from the left-out panorama")
    query = query_view(target["path"], args.heading, args.fov)
    photo = out / "query.jpg"
    save_rgb(photo, query)

    geolocator = Geolocator(db_path)
    # the shared BAG panden as the user's building layer (engine/estimate/buildings.py)
    from geopin.geopin_plugin.engine.estimate.buildings import BuildingMap, geopackage_source

    bag = datasets_dir() / "amsterdam-bag" / "bag_pand_amsterdam_2019.gpkg"
    buildings = BuildingMap(geopackage_source(str(bag))) if bag.exists() else None
    print(f"   building outlines: {bag if buildings else 'none (shared BAG panden not found)'}")
    geo = geolocator.locate(query, progress=lambda s, f, m: None, buildings=buildings)
    lat, lon = float(target["lat"]), float(target["lon"])
    error = geodesic_distance_m(lat, lon, geo.lat, geo.lon) if geo.lat is not None else float("nan")

    heading = "unknown" if geo.heading_deg is None else \
        f"{geo.heading_deg:.1f}° ± {geo.heading_sd_deg:.1f}° (truth {args.heading:.1f}°)"
    note = f" ({geo.position_note})" if geo.position_note else ""
    print(f"   position method: {geo.position_method}{note}; camera heading: {heading}; "
          f"field of view {geo.hfov_deg or float('nan'):.0f}° ({geo.fov_source or 'no pose'})")
    print("3. outputs")
    posterior = rl.write_posterior_geotiff(out / "posterior.tif", geo.posterior, geo.geotransform) \
        if geo.posterior is not None else None
    layers = write_outputs(out / "geopin_demo.gpkg", photo.name, geo, db_path)
    caption = (f"GeoPin demo: view from left-out panorama {args.leave_out} (heading {args.heading:g}°, "
               f"fov {args.fov:g}°)\n{geo.label}, confidence {geo.confidence:.2f}, error radius "
               f"{geo.error_radius_m:.0f} m, {geo.n_verified} verified; error vs truth {error:.1f} m\n"
               "star: estimate with its error circle; x: truth; circles: candidates (verified larger); "
               "squares: reference views;\nfilled outlines: 50 % / 90 % regions; teal wedge: view cone; "
               "heat: posterior density")
    png = render_map(out / "map.png", layers, posterior, wgs84_to_rd(lat, lon), caption=caption)
    best = next((c for c in geo.candidates if c.verified), geo.candidates[0] if geo.candidates else None)
    if best is not None:
        ref = geolocator.reference_image(best.view.view_id)
        pic = draw_matches(query, ref, best.matches, geo.query_feature_size, best.ref_feature_size, height=480)
        save_rgb(out / "matches.jpg", pic)
    for p in (out / "geopin_demo.gpkg", posterior, png, out / "matches.jpg", photo):
        if p:
            print(f"   {p}")
    t = geo.timings
    print("4. result")
    print(f"   estimate      {geo.lat:.6f}, {geo.lon:.6f}  (RD {geo.x:.1f}, {geo.y:.1f})")
    print(f"   truth         {lat:.6f}, {lon:.6f}")
    print(f"   error         {error:.1f} m")
    print(f"   label         {geo.label}  (confidence {geo.confidence:.2f}, error radius {geo.error_radius_m:.0f} m)")
    print(f"   verified      {geo.n_verified} of {min(len(geo.candidates), geolocator.config.verify_top)} checked")
    if best is not None:
        print(f"   best match    view {best.view.view_id} of {best.view.pano_id}, {best.inliers} inliers, "
              f"similarity {best.similarity:.3f}, {best.distance_m:.1f} m from the estimate")
    print("   time          " + ", ".join(f"{k} {v:.2f} s" for k, v in t.items()) + f"; total {sum(t.values()):.2f} s")

    print("5. a place the database does not cover")
    unlocated = query_view(datasets_dir() / "amsterdam-unlocated" / UNLOCATED, 45.0, args.fov)
    save_rgb(out / "unlocated_query.jpg", unlocated)
    neg = geolocator.locate(unlocated)
    print(f"   {out / 'unlocated_query.jpg'} (view of amsterdam-unlocated/{UNLOCATED}): {neg.label}, "
          f"confidence {neg.confidence:.2f}, {neg.n_verified} verified")
    return 0


if __name__ == "__main__":
    sys.exit(main())
