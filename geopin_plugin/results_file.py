"""Where the dock keeps its results so they survive a project reload: a folder beside
the saved project (<project>_geopin/), or in the QGIS profile
(geopin/results/unsaved_<start time>/) while the project has no file. Each locate
writes one GeoPackage per photo (tables estimates, candidates, viewcones, footprints)
and its posterior GeoTIFF; the layers then read from there (memory layers are gone
after a reload). A photo located again gets a new file and the old one is removed
once no layer reads it.

One file per locate, never rows changed in a file that open layers read: QGIS 3.22
layers on a GeoPackage became unreadable ("unable to open database file") when
another handle on the same file wrote to it and closed."""
import glob
import os
import shutil
import time

from qgis.core import QgsApplication, QgsProject, QgsRasterLayer, QgsVectorFileWriter, QgsVectorLayer

from .i18n import tr
from .result_layers import file_stem, layer_kind

SESSION = time.strftime("%Y%m%d_%H%M%S")  # one folder per QGIS session for unsaved projects


def results_folder(project=None):
    project = project or QgsProject.instance()
    name = project.fileName()
    if name:
        stem = os.path.splitext(os.path.basename(name))[0]
        return os.path.join(os.path.dirname(os.path.abspath(name)), f"{stem}_geopin")
    return os.path.join(QgsApplication.qgisSettingsDirPath(), "geopin", "results", f"unsaved_{SESSION}")


def _write_table(path, table, layer, context, first):
    options = QgsVectorFileWriter.SaveVectorOptions()
    options.driverName = "GPKG"
    options.layerName = table
    options.actionOnExistingFile = (QgsVectorFileWriter.CreateOrOverwriteFile if first
                                    else QgsVectorFileWriter.CreateOrOverwriteLayer)
    write = getattr(QgsVectorFileWriter, "writeAsVectorFormatV3", None) or QgsVectorFileWriter.writeAsVectorFormatV2
    error, message = write(layer, path, context, options)[:2]
    if error != QgsVectorFileWriter.NoError:
        raise OSError(tr("Cannot write {0} to {1}: {2}").format(table, path, message))


def _remove_unused(folder, stem, keep, project):
    """Earlier files of this photo that no layer of the project reads (best effort)."""
    used = {layer.source().split("|")[0] for layer in project.mapLayers().values()}
    for old in glob.glob(os.path.join(glob.escape(folder), f"{glob.escape(stem)}_*")):
        if os.path.splitext(old)[0] != os.path.splitext(keep)[0] and old not in used:
            try:
                os.remove(old)
            except OSError:  # still open elsewhere (Windows): it goes next time
                pass


def store_result(folder, photo, layers, project=None):
    """Write the result layers of `photo` into a new GeoPackage in `folder` (a table per
    kind) and point the layers there. Returns the GeoPackage's path. Raises OSError."""
    project = project or QgsProject.instance()
    os.makedirs(folder, exist_ok=True)
    stem = file_stem(photo)
    base = os.path.join(folder, f"{stem}_{time.strftime('%Y%m%d_%H%M%S')}_{int(time.time() * 1000) % 1000:03d}")
    path = base + ".gpkg"
    vectors = [layer for layer in layers if isinstance(layer, QgsVectorLayer) and layer_kind(layer)]
    for i, layer in enumerate(vectors):
        _write_table(path, layer_kind(layer), layer, project.transformContext(), first=i == 0)
    for layer in vectors:  # only once every table is written
        layer.setDataSource(f"{path}|layername={layer_kind(layer)}", layer.name(), "ogr")
    for layer in layers:
        if isinstance(layer, QgsRasterLayer) and layer_kind(layer) == "posterior":
            shutil.copyfile(layer.source(), base + "_posterior.tif")
            layer.setDataSource(base + "_posterior.tif", layer.name(), "gdal")
    _remove_unused(folder, stem, path, project)
    return path
