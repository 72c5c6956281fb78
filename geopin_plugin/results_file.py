"""Where the dock keeps its results so they survive a project reload: a GeoPackage
beside the saved project (<project>_geopin.gpkg), or in the QGIS profile
(geopin/results/unsaved_<start time>.gpkg) while the project has no file. Each
photo's rows are replaced when it is located again; the posterior GeoTIFF lies
beside the GeoPackage. The layers then read from there (memory layers are gone
after a reload)."""
import os
import shutil
import time

from qgis.core import (
    QgsApplication,
    QgsFeature,
    QgsProject,
    QgsRasterLayer,
    QgsVectorFileWriter,
    QgsVectorLayer,
)

from .i18n import tr
from .result_layers import file_stem, layer_kind

SESSION = time.strftime("%Y%m%d_%H%M%S")  # one file per QGIS session for unsaved projects


def results_path(project=None):
    project = project or QgsProject.instance()
    name = project.fileName()
    if name:
        stem = os.path.splitext(os.path.basename(name))[0]
        return os.path.join(os.path.dirname(os.path.abspath(name)), f"{stem}_geopin.gpkg")
    folder = os.path.join(QgsApplication.qgisSettingsDirPath(), "geopin", "results")
    return os.path.join(folder, f"unsaved_{SESSION}.gpkg")


def _quoted(text):
    return text.replace("'", "''")


def _table_layer(path, table):
    layer = QgsVectorLayer(f"{path}|layername={table}", table, "ogr")
    return layer if layer.isValid() else None


def _create_table(path, table, layer, context):
    options = QgsVectorFileWriter.SaveVectorOptions()
    options.driverName = "GPKG"
    options.layerName = table
    options.actionOnExistingFile = (QgsVectorFileWriter.CreateOrOverwriteLayer if os.path.exists(path)
                                    else QgsVectorFileWriter.CreateOrOverwriteFile)
    write = getattr(QgsVectorFileWriter, "writeAsVectorFormatV3", None) or QgsVectorFileWriter.writeAsVectorFormatV2
    error, message = write(layer, path, context, options)[:2]
    if error != QgsVectorFileWriter.NoError:
        raise OSError(tr("Cannot write {0} to {1}: {2}").format(table, path, message))


def _replace_rows(target, photo, layer):
    """Delete `photo`'s rows of the table `target`, then add `layer`'s features (by field name)."""
    provider = target.dataProvider()
    target.setSubsetString("")
    old = [f.id() for f in target.getFeatures(f"\"photo\" = '{_quoted(photo)}'")]
    if old and not provider.deleteFeatures(old):
        raise OSError(tr("Cannot replace the results of {0} in {1}").format(os.path.basename(photo), target.source()))
    fields = target.fields()
    names = layer.fields().names()
    rows = []
    for feature in layer.getFeatures():
        row = QgsFeature(fields)
        row.setGeometry(feature.geometry())
        for name in names:
            if fields.indexOf(name) >= 0:
                row[name] = feature[name]
        rows.append(row)
    if rows and not provider.addFeatures(rows)[0]:
        raise OSError(tr("Cannot write the results of {0} to {1}").format(os.path.basename(photo), target.source()))


def store_result(path, photo, layers, project=None):
    """Write the result layers of `photo` into the GeoPackage `path` (table per kind) and
    point the layers there, filtered to the photo. Returns the path. Raises OSError."""
    project = project or QgsProject.instance()
    os.makedirs(os.path.dirname(path), exist_ok=True)
    for layer in layers:
        kind = layer_kind(layer)
        if isinstance(layer, QgsVectorLayer) and kind:
            target = _table_layer(path, kind) if os.path.exists(path) else None
            if target is None:
                _create_table(path, kind, layer, project.transformContext())
            else:
                _replace_rows(target, photo, layer)
            layer.setDataSource(f"{path}|layername={kind}", layer.name(), "ogr")
            layer.setSubsetString(f"\"photo\" = '{_quoted(photo)}'")
        elif isinstance(layer, QgsRasterLayer) and kind == "posterior":
            target = f"{os.path.splitext(path)[0]}_posterior_{file_stem(photo)}.tif"
            if os.path.abspath(layer.source()) != os.path.abspath(target):
                shutil.copyfile(layer.source(), target)
                layer.setDataSource(target, layer.name(), "gdal")
    return path
