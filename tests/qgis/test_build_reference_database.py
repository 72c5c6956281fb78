"""geopin:buildreferencedatabase inside QGIS: the GeoPackage opens as a valid
EPSG:28992 point layer, the algorithm runs (test models), reports counts and an
errors table, appends on a second run, and takes a point layer for positions."""
import sys
from pathlib import Path

import pytest
from qgis.core import (
    QgsFeature,
    QgsGeometry,
    QgsPointXY,
    QgsProcessingContext,
    QgsProcessingFeedback,
    QgsVectorLayer,
)

TESTS_ENGINE = Path(__file__).resolve().parents[1] / "engine"
if str(TESTS_ENGINE) not in sys.path:  # pytest runs with --import-mode=importlib
    sys.path.insert(0, str(TESTS_ENGINE))

from fixtures_refdb import AMSTERDAM, bad_inputs, photo  # noqa: E402
from refdb_helpers import OrbExtractor, PixelEmbedder  # noqa: E402

pytestmark = pytest.mark.timeout(120)


@pytest.fixture()
def alg_module(monkeypatch):
    from geopin.processing import build_reference_database as mod

    monkeypatch.setattr(mod, "load_models", lambda preset, extractor=None: (PixelEmbedder(), OrbExtractor()))
    return mod


def run_alg(mod, params):
    alg = mod.BuildReferenceDatabase()
    alg.initAlgorithm()
    context = QgsProcessingContext()
    feedback = QgsProcessingFeedback()
    ok, msg = alg.checkParameterValues(params, context)
    assert ok, msg
    results, success = alg.run(params, context, feedback)
    assert success
    return results, context


def test_algorithm_builds_valid_layer_and_errors_table(qgis_app, tmp_path, alg_module):
    unusable, usable, coords = bad_inputs(tmp_path / "in")
    db = tmp_path / "ref.gpkg"
    params = {"INPUT": str(tmp_path / "in"), "COORDINATES": str(coords), "DATABASE": str(db),
              "ERRORS": "TEMPORARY_OUTPUT", "PANORAMA_HEADINGS": 8, "VIEW_FOV": 90.0, "MODEL": 0,
              "WHITENING": False}
    results, context = run_alg(alg_module, params)
    assert results["DATABASE"] == str(db)
    assert (results["ADDED"], results["SKIPPED"], results["FAILED"]) == (len(usable), 0, len(unusable))
    errors = context.getMapLayer(results["ERRORS"])
    assert errors is not None and errors.featureCount() == len(unusable)
    assert {Path(f["file"]).name for f in errors.getFeatures()} == set(unusable)
    assert all(f["reason"] for f in errors.getFeatures())

    layer = QgsVectorLayer(f"{db}|layername=reference_views", "refs", "ogr")
    assert layer.isValid()
    assert layer.crs().authid() == "EPSG:28992"
    assert layer.featureCount() == len(usable)
    names = layer.fields().names()
    for field in ("source", "image_path", "view_image", "pano_id", "heading", "fov", "capture_time", "content_hash"):
        assert field in names
    extent = layer.extent()
    assert 115000 < extent.xMinimum() <= extent.xMaximum() < 130000  # Amsterdam in RD New
    err_table = QgsVectorLayer(f"{db}|layername=ingest_errors", "errors", "ogr")
    assert err_table.isValid() and err_table.featureCount() == len(unusable)

    again, _ = run_alg(alg_module, params)  # append-only: nothing new
    assert (again["ADDED"], again["SKIPPED"]) == (0, len(usable))


def test_point_layer_gives_positions(qgis_app, tmp_path, alg_module):
    from PIL import Image

    from fixtures_refdb import scene

    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(3):
        Image.fromarray(scene(i)).save(folder / f"n{i}.jpg")  # no EXIF GPS
    from qgis.PyQt.QtCore import QDateTime

    layer = QgsVectorLayer("Point?crs=EPSG:28992&field=file:string&field=heading:double&field=capture_time:datetime",
                           "pts", "memory")
    feats = []
    for i in range(3):
        f = QgsFeature(layer.fields())
        f.setAttributes([f"n{i}.jpg", 45.0, QDateTime.fromString("2024-05-01T12:00:00", "yyyy-MM-ddTHH:mm:ss")])
        f.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(121000 + 10 * i, 487000)))
        feats.append(f)
    layer.dataProvider().addFeatures(feats)
    db = tmp_path / "ref.gpkg"
    results, _ = run_alg(alg_module, {"INPUT": str(folder), "COORDINATES_LAYER": layer, "PATH_FIELD": "file",
                                      "DATABASE": str(db), "MODEL": 0})
    assert (results["ADDED"], results["FAILED"]) == (3, 0)
    from geopin.geopin_plugin.engine.database.refdb import ReferenceDatabase

    with ReferenceDatabase.open(db) as rdb:
        views = sorted(rdb.views(rdb.ids()), key=lambda v: v.image_path)
        assert [round(v.x) for v in views] == [121000, 121010, 121020]
        assert all(round(v.y) == 487000 and v.heading == 45.0 for v in views)
        assert all(v.capture_time.startswith("2024-05-01T12:00:00") for v in views)


def test_adding_to_a_database_keeps_the_embedder_it_was_built_with(qgis_app, tmp_path, monkeypatch):
    """The MODEL choice applies to a new database; an existing one is appended to with
    its own embedder (registry.DatabaseParts.to_add), and the log says so."""
    from qgis.core import QgsProcessingFeedback

    from geopin.processing import build_reference_database as mod

    asked = []
    monkeypatch.setattr(mod, "load_models",
                        lambda preset, extractor=None: asked.append((preset, extractor)) or (PixelEmbedder(), OrbExtractor()))
    (tmp_path / "in").mkdir()
    photo(tmp_path / "in" / "a.jpg", 1, *AMSTERDAM)
    db = tmp_path / "ref.gpkg"
    ids = mod.embedder_presets()[0]
    params = {"INPUT": str(tmp_path / "in"), "DATABASE": str(db), "MODEL": 0, "ERRORS": "TEMPORARY_OUTPUT"}
    run_alg(mod, params)
    assert asked[-1][0] == ids[0]  # a new database: the chosen model
    photo(tmp_path / "in" / "b.jpg", 2, AMSTERDAM[0] + 0.001, AMSTERDAM[1])
    alg = mod.BuildReferenceDatabase()
    alg.initAlgorithm()
    infos = []

    class Feedback(QgsProcessingFeedback):
        def pushInfo(self, text):  # noqa: N802
            infos.append(text)

    results, ok = alg.run(dict(params, MODEL=len(ids) - 1), QgsProcessingContext(), Feedback())
    assert ok and results["ADDED"] == 1
    assert asked[-1][0] == PixelEmbedder().preset_id  # the database's embedder, not the other choice
    assert any(PixelEmbedder().preset_id in text and "built with" in text for text in infos), infos


def test_missing_models_is_a_user_error(qgis_app, tmp_path, monkeypatch):
    from qgis.core import QgsProcessingException

    from geopin.processing import build_reference_database as mod

    def fail(preset, extractor=None):
        raise RuntimeError("model file not built")

    monkeypatch.setattr(mod, "load_models", fail)
    photo(tmp_path / "a.jpg", 1, *AMSTERDAM)
    alg = mod.BuildReferenceDatabase()
    alg.initAlgorithm()
    with pytest.raises(QgsProcessingException, match="model file not built"):
        alg.processAlgorithm({"INPUT": str(tmp_path), "DATABASE": str(tmp_path / "x.gpkg"), "MODEL": 0},
                             QgsProcessingContext(), QgsProcessingFeedback())


def test_qgis_process_end_to_end_with_real_models(tmp_path):
    """scripts/qgis_process on a small generated folder with the default models."""
    import json
    import os
    import subprocess

    from geopin.geopin_plugin.engine import models

    try:
        models.check_built(models.DEFAULT_EMBEDDER)
    except models.ModelError as exc:
        pytest.skip(f"default embedder not built (make models): {exc}")
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(2):
        photo(folder / f"p{i}.jpg", 20 + i, AMSTERDAM[0] + 0.001 * i, AMSTERDAM[1], size=(320, 240))
    (folder / "broken.jpg").write_text("not a jpeg")
    db = tmp_path / "e2e.gpkg"
    env = dict(os.environ)
    env.pop("QGIS_CUSTOM_CONFIG_PATH", None)  # the wrapper uses its own profile
    wrapper = Path(__file__).resolve().parents[2] / "scripts" / "qgis_process"
    proc = subprocess.run([str(wrapper), "run", "geopin:buildreferencedatabase", "--json", "--",
                           f"INPUT={folder}", f"DATABASE={db}", f"ERRORS={tmp_path / 'errors.csv'}"],
                          capture_output=True, text=True, timeout=110, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    results = json.loads(proc.stdout)["results"]
    assert (results["ADDED"], results["FAILED"], results["VIEWS"]) == (2, 1, 2)
    assert "broken.jpg" in (tmp_path / "errors.csv").read_text()
    from geopin.geopin_plugin.engine.database.refdb import ReferenceDatabase

    with ReferenceDatabase.open(db) as rdb:
        assert rdb.meta["model_preset"] == models.DEFAULT_EMBEDDER and rdb.count == 2
        hits = rdb.search(rdb.embeddings(rdb.ids()), k=2)
        assert [h[0].view_id for h in hits] == rdb.ids().tolist()


def test_add_to_an_existing_database_is_an_input_not_a_save_as(qgis_app, tmp_path, alg_module):
    """"Add to this existing reference database" is an input file (no "replace it?"
    prompt); the new database stays a save-as output; a missing one is a clear error."""
    from qgis.core import QgsProcessingException, QgsProcessingParameterFile, QgsProcessingParameterFileDestination

    alg = alg_module.BuildReferenceDatabase()
    alg.initAlgorithm()
    add_to = alg.parameterDefinition("ADD_TO")
    assert isinstance(add_to, QgsProcessingParameterFile) and add_to.behavior() == QgsProcessingParameterFile.File
    assert add_to.extension() == "gpkg" and add_to.flags() & add_to.FlagOptional
    assert isinstance(alg.parameterDefinition("DATABASE"), QgsProcessingParameterFileDestination)

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    for i in range(2):
        photo(tmp_path / "a" / f"a{i}.jpg", 10 + i, AMSTERDAM[0] + 0.001 * i, AMSTERDAM[1])
        photo(tmp_path / "b" / f"b{i}.jpg", 20 + i, AMSTERDAM[0] - 0.001 * i, AMSTERDAM[1])
    db = tmp_path / "ref.gpkg"
    common = {"ERRORS": "TEMPORARY_OUTPUT", "MODEL": 0, "WHITENING": False}
    results, _ = run_alg(alg_module, {**common, "INPUT": str(tmp_path / "a"), "DATABASE": str(db)})
    assert results["ADDED"] == 2
    results, _ = run_alg(alg_module, {**common, "INPUT": str(tmp_path / "b"), "ADD_TO": str(db)})
    assert results["DATABASE"] == str(db) and results["ADDED"] == 2
    layer = QgsVectorLayer(f"{db}|layername=reference_views", "refs", "ogr")
    assert layer.featureCount() == 4
    missing = alg_module.BuildReferenceDatabase()
    missing.initAlgorithm()
    with pytest.raises(QgsProcessingException, match="does not exist"):
        missing.output_database({"ADD_TO": str(tmp_path / "nowhere.gpkg")}, QgsProcessingContext())


def test_a_temporary_database_is_kept_in_the_data_folder(qgis_app, tmp_path, alg_module, monkeypatch):
    """The default output, a temporary file, would vanish when QGIS closes: the database
    goes to GeoPin's data folder instead, and the result names where."""
    monkeypatch.setenv("GEOPIN_DATA_DIR", str(tmp_path / "data"))
    (tmp_path / "a").mkdir()
    for i in range(2):
        photo(tmp_path / "a" / f"a{i}.jpg", 30 + i, AMSTERDAM[0] + 0.001 * i, AMSTERDAM[1])
    results, _ = run_alg(alg_module, {"INPUT": str(tmp_path / "a"), "DATABASE": "TEMPORARY_OUTPUT",
                                      "ERRORS": "TEMPORARY_OUTPUT", "MODEL": 0, "WHITENING": False})
    db = Path(results["DATABASE"])
    assert db.parent == tmp_path / "data" / "databases" and db.suffix == ".gpkg", db
    assert results["ADDED"] == 2 and db.is_file()
    layer = QgsVectorLayer(f"{db}|layername=reference_views", "refs", "ogr")
    assert layer.featureCount() == 2
