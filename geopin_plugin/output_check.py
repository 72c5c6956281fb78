"""Outputs are checked after they are written: on a full disk QGIS's writers and
GDAL can leave an empty GeoPackage or a 0-byte GeoTIFF without an error, and
the run must not then report success (exit code 0, "LOCATED 2")."""
import os

from .i18n import tr


class CountingSink:
    """A feature sink that remembers how many features it was given and whether
    any add failed (QgsFeatureSink returns False and keeps lastError)."""

    def __init__(self, sink, label):
        self._sink = sink
        self.label = label
        self.count = 0
        self.error = None

    def _note(self, ok, n):
        self.count += n
        if not ok and self.error is None:
            self.error = (self._sink.lastError() if hasattr(self._sink, "lastError") else "") or tr("write failed")
        return ok

    def addFeature(self, feature, *flags):  # noqa: N802 (QGIS API name)
        return self._note(self._sink.addFeature(feature, *flags), 1)

    def addFeatures(self, features, *flags):  # noqa: N802
        features = list(features)
        return self._note(self._sink.addFeatures(features, *flags), len(features))

    def close(self):
        """Drop the writer so it flushes and closes its file."""
        self._sink = None


def _file_of(dest_id):
    path = str(dest_id or "").split("|")[0]
    return path if path and os.path.isfile(path) else None


def _vector_problem(sink, dest_id):
    from qgis.core import QgsVectorLayer

    if sink.error:
        return tr("{0}: {1}").format(sink.label, sink.error)
    path = _file_of(dest_id)
    if path is None or sink.count == 0:  # a memory layer, or nothing to write
        return None
    layer = QgsVectorLayer(str(dest_id), "check", "ogr")
    if not layer.isValid() or layer.featureCount() < sink.count:
        found = layer.featureCount() if layer.isValid() else 0
        return tr("{0}: {1} holds {2} of the {3} features written").format(sink.label, path, found, sink.count)
    return None


def _raster_problem(path):
    from osgeo import gdal

    if not os.path.isfile(path) or os.path.getsize(path) == 0:
        return tr("{0} is missing or empty").format(path)
    gdal.ErrorReset()
    ds = gdal.Open(str(path))
    # read every block back: GDAL leaves a valid header with missing strips on a full disk
    data = None if ds is None else ds.GetRasterBand(1).ReadAsArray()
    ds = None
    if data is None or gdal.GetLastErrorType() >= gdal.CE_Failure:
        return tr("{0} cannot be read back (incomplete)").format(path)
    return None


def output_problems(sinks_and_ids, rasters):
    """Messages for every output that was not really written (empty when all are)."""
    problems = []
    for sink, _ in sinks_and_ids:
        sink_error = sink.error
        sink.close()
        if sink_error:
            problems.append(tr("{0}: {1}").format(sink.label, sink_error))
    for sink, dest_id in sinks_and_ids:
        if not sink.error:
            problem = _vector_problem(sink, dest_id)
            if problem:
                problems.append(problem)
    problems.extend(p for p in map(_raster_problem, rasters) if p)
    return problems
