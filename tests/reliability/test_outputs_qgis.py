"""Outputs written to a full disk are reported, not a success with an empty
GeoPackage or a 0-byte raster (geopin_plugin/output_check.py, used at the end of
geopin:geolocatephotos)."""
import shutil

import numpy as np
import pytest

pytestmark = pytest.mark.timeout(120)


def _fill(disk, leave):
    free = shutil.disk_usage(disk).free
    (disk / "ballast").write_bytes(b"\0" * max(0, free - leave))


def test_full_disk_outputs_are_reported(qgis_app, small_disk, record):
    from qgis.core import (QgsCoordinateReferenceSystem, QgsCoordinateTransformContext, QgsFeature, QgsField,
                           QgsFields, QgsGeometry, QgsPointXY, QgsVectorFileWriter, QgsWkbTypes)
    from qgis.PyQt.QtCore import QVariant

    from geopin.geopin_plugin import result_layers as rl
    from geopin.geopin_plugin.output_check import CountingSink, output_problems

    if small_disk is None:
        pytest.skip("needs a small tmpfs (root); the engine cases inject ENOSPC instead")
    _fill(small_disk, 20_000)
    fields = QgsFields()
    fields.append(QgsField("note", QVariant.String))
    path = str(small_disk / "estimates.gpkg")
    options = QgsVectorFileWriter.SaveVectorOptions()
    options.driverName = "GPKG"
    writer = QgsVectorFileWriter.create(path, fields, QgsWkbTypes.Point, QgsCoordinateReferenceSystem("EPSG:28992"),
                                        QgsCoordinateTransformContext(), options)
    sink = CountingSink(writer, "Estimates")
    for i in range(2000):
        f = QgsFeature(fields)
        f.setAttributes(["x" * 200])
        f.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(120000 + i, 480000)))
        sink.addFeature(f)
    del writer
    raster = str(small_disk / "posterior.tif")
    try:
        rl.write_posterior_geotiff(raster, np.random.rand(800, 800).astype(np.float32), (0, 1, 0, 0, 0, -1))
        raster_exc = None
    except OSError as exc:
        raster_exc = exc
    problems = output_problems([(sink, path)], [] if raster_exc else [raster])
    vector_reported = any("Estimates" in p for p in problems)
    raster_reported = raster_exc is not None or any("posterior.tif" in p for p in problems)
    record("outputs", "GeoPackage output on a full disk", clear_error=vector_reported, data_lost=not vector_reported)
    record("outputs", "GeoTIFF output on a full disk", clear_error=raster_reported, data_lost=not raster_reported)
    assert vector_reported and raster_reported, problems
