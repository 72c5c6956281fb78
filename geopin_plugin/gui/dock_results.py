"""What the dock shows and keeps for one located photo: the summary and candidate
texts (locale numbers, "not located" for a no match), the extent to zoom to, and
"Save results…" into a GeoPackage."""
import os
import shutil
import time
from dataclasses import dataclass, field
from typing import Optional

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsCoordinateTransformContext,
    QgsProject,
    QgsRasterLayer,
    QgsRectangle,
    QgsVectorFileWriter,
    QgsVectorLayer,
)

from ..engine.database.coverage import FAR_OUTSIDE_M
from ..i18n import label_text, number, tr
from ..result_layers import cone_summary, file_stem, is_located, layer_kind

MIN_HALF_WIDTH_M = 60.0
MARGIN = 1.25  # the footprint fills 80 % of the view


@dataclass
class PhotoResult:
    photo: str  # full path
    result: object  # engine Geolocation
    query_image: object = None
    reference_images: dict = field(default_factory=dict)
    coverage_m: Optional[float] = None  # EXIF position to the nearest reference view
    layers: list = field(default_factory=list)
    reference_masks: dict = field(default_factory=dict)  # view id -> overlay mask cells (match viewer)


def coverage_warning(coverage_m):
    """First line for a photo whose EXIF position lies outside the database's coverage."""
    if coverage_m is None or coverage_m <= FAR_OUTSIDE_M:
        return ""
    return tr("The photo's EXIF position is {0} km from the nearest reference view: outside this "
              "database's coverage.").format(number(coverage_m / 1000.0, 1))


def summary_lines(item):
    r = item.result
    lines = []
    warning = coverage_warning(item.coverage_m)
    if warning:
        lines.append(warning)
    if not is_located(r):
        lines.append(tr("Not located: no reliable match ({0} verified of {1} candidates). The candidates "
                        "are on the map for inspection.").format(r.n_verified, len(r.candidates)))
        return lines
    lines.append(tr("{0} · confidence {1} · ± {2} m · {3} verified").format(
        label_text(r.label), number(r.confidence, 2), number(r.error_radius_m, 0), r.n_verified))
    lines.append(tr("Estimate {0}, {1} (RD {2}, {3})").format(
        number(r.lat, 6), number(r.lon, 6), number(r.x, 0), number(r.y, 0)))
    if r.exif_distance_m is not None:
        lines.append(tr("{0} m from the photo's EXIF position").format(number(r.exif_distance_m, 0)))
    views = getattr(r, "panorama_views", None)
    if views:
        if all(h is not None for _, h in views):
            lines.append(tr("A 360° panorama, located from {0} views facing {1}").format(
                len(views), ", ".join(f"{number(h, 0)}°" for _, h in views)))
        else:
            lines.append(tr("A 360° panorama, located from {0} views (compass heading unknown)").format(len(views)))
    if getattr(r, "position_method", "") == "album":
        lines.append(tr("Placed by its album (the photos taken just before and after it), not by its own pixels"))
    lines.append(sentence(cone_summary(r)))
    return lines


def run_done_text(started, count):
    """The whole run's time (wall clock from Locate, time.monotonic()), not the last photo's."""
    elapsed = number(time.monotonic() - started, 1)
    if count > 1:
        return tr("Done: {0} photos in {1} s").format(count, elapsed)
    return tr("Done in {0} s").format(elapsed)


def sentence(text):
    return text[:1].upper() + text[1:]


def candidate_text(cand, located):
    first = tr("#{0} · similarity {1} · {2} inliers").format(cand.rank, number(cand.similarity, 3), cand.inliers)
    if cand.verified:
        first += " ✔"
    second = cand.view.source or ""
    if getattr(cand.view, "capture_time", None):
        second += f" · {cand.view.capture_time[:10]}"
    if located and cand.distance_m is not None:
        second += " · " + tr("{0} m from the estimate").format(number(cand.distance_m, 0))
    return f"{first}\n{second}"


def zoom_rectangle(result):
    """RD New rectangle to show: the 90 % footprint (else the error circle) of a located
    photo, the candidates of a no match; at least 2 × MIN_HALF_WIDTH_M wide."""
    rect = QgsRectangle()
    rect.setMinimal()
    if is_located(result):
        rings = result.footprints.get(max(result.footprints), []) if result.footprints else []
        for ring in rings:
            for x, y in ring:
                rect.combineExtentWith(float(x), float(y))
        if rect.isEmpty():
            r = max(MIN_HALF_WIDTH_M, result.error_radius_m)
            rect = QgsRectangle(result.x - r, result.y - r, result.x + r, result.y + r)
    else:
        for cand in result.candidates:
            rect.combineExtentWith(float(cand.view.x), float(cand.view.y))
        if rect.isNull():
            return None
    centre = rect.center()
    half_w = max(MIN_HALF_WIDTH_M, rect.width() * MARGIN / 2)
    half_h = max(MIN_HALF_WIDTH_M, rect.height() * MARGIN / 2)
    return QgsRectangle(centre.x() - half_w, centre.y() - half_h, centre.x() + half_w, centre.y() + half_h)


def zoom_canvas(canvas, rect):
    """Show the RD New rectangle `rect` on `canvas`, whatever the canvas CRS."""
    dest = canvas.mapSettings().destinationCrs()
    if dest.isValid() and dest.authid() != "EPSG:28992":
        transform = QgsCoordinateTransform(QgsCoordinateReferenceSystem("EPSG:28992"), dest,
                                           QgsProject.instance().transformContext())
        rect = transform.transformBoundingBox(rect)
    canvas.setExtent(rect)
    canvas.refresh()
    return rect


# --- Save results… -------------------------------------------------------------------
TABLES = ("estimates", "candidates", "footprints", "viewcones")


def layer_of(item, kind):
    """The item's result layer of that kind (result_layers.layer_kind), or None."""
    return next((layer for layer in item.layers if layer_kind(layer) == kind), None)


def save_results(path, items, project=None):
    """Write the results of `items` (PhotoResult) into the GeoPackage `path`: tables
    estimates, candidates, footprints and viewcones (all photos, told apart by `photo`)
    and a posterior GeoTIFF per photo beside it. The project's layers then read from the
    saved files (memory layers and temp files are gone when QGIS closes)."""
    project = project or QgsProject.instance()
    context = project.transformContext() if project else QgsCoordinateTransformContext()
    written = {}
    first = True
    for table in TABLES:
        for item in items:
            layer = layer_of(item, table)
            if layer is None or not isinstance(layer, QgsVectorLayer):
                continue
            options = QgsVectorFileWriter.SaveVectorOptions()
            options.driverName = "GPKG"
            options.layerName = table
            if first:
                options.actionOnExistingFile = QgsVectorFileWriter.CreateOrOverwriteFile
            elif table in written:
                options.actionOnExistingFile = QgsVectorFileWriter.AppendToLayerNoNewFields
            else:
                options.actionOnExistingFile = QgsVectorFileWriter.CreateOrOverwriteLayer
            write = getattr(QgsVectorFileWriter, "writeAsVectorFormatV3", None) or \
                QgsVectorFileWriter.writeAsVectorFormatV2
            error, message = write(layer, path, context, options)[:2]
            if error != QgsVectorFileWriter.NoError:
                raise OSError(tr("Cannot write {0} to {1}: {2}").format(table, path, message))
            first = False
            written[table] = written.get(table, 0) + layer.featureCount()
    for item in items:  # re-point the project's layers to the saved data
        for table in TABLES:
            layer = layer_of(item, table)
            if isinstance(layer, QgsVectorLayer) and table in written:
                photo = item.photo.replace("'", "''")  # the filter in the source (see results_file.py)
                layer.setDataSource(f"{path}|layername={table}|subset=\"photo\" = '{photo}'", layer.name(), "ogr")
        raster = layer_of(item, "posterior")
        if isinstance(raster, QgsRasterLayer):
            target = f"{os.path.splitext(path)[0]}_posterior_{file_stem(item.photo)}.tif"
            if os.path.abspath(raster.source()) != os.path.abspath(target):
                shutil.copyfile(raster.source(), target)
                raster.setDataSource(target, raster.name(), "gdal")
            written.setdefault("posterior", []).append(target)
    return written
