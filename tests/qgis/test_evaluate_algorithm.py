"""geopin:evaluate inside QGIS on a tiny custom protocol (real models, real Lund
photos): a reference folder of geotagged photos, query photos whose truth comes
from their EXIF GPS; the per-query layer, CSV and HTML report come out."""
import csv
from pathlib import Path

import pytest
from qgis.core import QgsProcessingContext, QgsProcessingFeedback

pytestmark = pytest.mark.timeout(300)

REFS = ("08.jpg", "10.jpg", "12.jpg", "14.jpg")
QUERIES = ("11.jpg", "13.jpg")


def test_evaluate_custom_folders(qgis_app, tmp_path, datasets_dir, monkeypatch):
    from geopin.processing.evaluate import Evaluate

    monkeypatch.setenv("GEOPIN_EVAL_CACHE", str(tmp_path / "cache"))
    lund = Path(datasets_dir) / "lund"
    for folder, names in (("refs", REFS), ("queries", QUERIES)):
        (tmp_path / folder).mkdir()
        for n in names:
            (tmp_path / folder / n).symlink_to(lund / n)
    alg = Evaluate()
    alg.initAlgorithm()
    params = {"PROTOCOL": 0, "REFERENCES": str(tmp_path / "refs"), "QUERIES": str(tmp_path / "queries"),
              "PRESET": "top_k=4,verify_top=4", "OUTPUT": "TEMPORARY_OUTPUT",
              "OUTPUT_CSV": str(tmp_path / "table.csv"), "REPORT_DIR": str(tmp_path / "report")}
    context = QgsProcessingContext()
    ok, msg = alg.checkParameterValues(params, context)
    assert ok, msg
    results, success = alg.run(params, context, QgsProcessingFeedback())
    assert success
    layer = context.getMapLayer(results["OUTPUT"])
    assert layer.featureCount() == len(QUERIES)
    assert layer.crs().authid() == "EPSG:28992"
    feats = sorted(layer.getFeatures(), key=lambda f: f["query"])
    assert [f["query"] for f in feats] == list(QUERIES)
    for f in feats:
        # the neighbouring frames are a few metres away: the partner is found first and the
        # estimate lands on the street
        assert f["positive"] == 1 and f["rank_retrieval"] == 1
        assert 0 <= f["error_m"] < 100
        assert not f.geometry().isEmpty()
    rows = list(csv.DictReader(open(tmp_path / "table.csv")))
    assert [r["query"] for r in rows] == list(QUERIES)
    report = Path(results["REPORT"])
    assert report.name == "report.html" and "Failure gallery" in report.read_text()
    assert (report.parent / "error_cdf.png").stat().st_size > 0


def test_evaluate_rejects_missing_inputs(qgis_app, tmp_path):
    from qgis.core import QgsProcessingException

    from geopin.processing.evaluate import Evaluate

    alg = Evaluate()
    alg.initAlgorithm()
    params = {"PROTOCOL": 0, "OUTPUT": "TEMPORARY_OUTPUT", "REPORT_DIR": str(tmp_path / "r")}
    with pytest.raises(QgsProcessingException):
        alg.processAlgorithm(params, QgsProcessingContext(), QgsProcessingFeedback())
