"""Issue 26: a posterior raster that claims 30000 x 30000 cells (a sparse
GeoTIFF of a few KB) must be refused by geopin:whatisinview before it is read
(it made the algorithm read 24 GB). Run in a child limited to 2 GB."""
import textwrap

import pytest
from helpers import MEMORY_LIMIT, run_child

pytestmark = pytest.mark.timeout(120)

CHILD = textwrap.dedent("""
    import sys
    from geopin.processing.what_is_in_view import read_raster

    class Layer:
        def source(self):
            return sys.argv[1]
    try:
        grid, gt = read_raster(Layer())
        print("READ", grid.shape)
    except OSError as exc:
        print("REFUSED", exc)
""")


def _sparse_geotiff(path, cols, rows):
    from osgeo import gdal

    ds = gdal.GetDriverByName("GTiff").Create(str(path), cols, rows, 1, gdal.GDT_Float32,
                                              options=["SPARSE_OK=TRUE", "TILED=YES", "COMPRESS=DEFLATE"])
    ds.SetGeoTransform((120000.0, 3.0, 0.0, 490000.0, 0.0, -3.0))
    ds.FlushCache()
    ds = None
    return path


@pytest.mark.parametrize("cols,rows", [(30000, 30000), (2_000_000, 10)])
def test_a_huge_posterior_raster_is_refused_before_reading(tmp_path, record, cols, rows):
    path = _sparse_geotiff(tmp_path / "huge.tif", cols, rows)
    assert path.stat().st_size < 2_000_000
    proc = run_child(CHILD, path, memory_limit=MEMORY_LIMIT)
    out = proc.stdout + proc.stderr
    refused = "REFUSED" in proc.stdout and "resample" in proc.stdout and str(path) in proc.stdout
    record("posterior raster", f"{cols} x {rows} sparse GeoTIFF", clear_error=refused,
           crash=proc.returncode < 0 or proc.returncode >= 128, traceback="Traceback" in out)
    assert proc.returncode == 0 and refused, out[-2000:]


def test_a_posterior_sized_raster_still_reads(tmp_path):
    path = _sparse_geotiff(tmp_path / "ok.tif", 400, 300)
    proc = run_child(CHILD, path, memory_limit=MEMORY_LIMIT)
    assert "READ (300, 400)" in proc.stdout, proc.stdout + proc.stderr
