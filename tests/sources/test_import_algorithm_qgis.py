"""geopin:importstreetimagery inside QGIS against the fixture server: QGIS's
network stack, the authentication manager, extents in another CRS, resume,
empty areas, sampling warnings and token errors."""
import pytest
from fixture_server import AREA, MAPILLARY_TOKEN, grid_points
from models_for_tests import TinyEmbedder, TinyOrb
from qgis.core import (QgsApplication, QgsAuthMethodConfig, QgsCoordinateReferenceSystem,
                       QgsCoordinateTransform, QgsProcessingContext, QgsProcessingFeedback, QgsProject,
                       QgsRectangle)

from geopin.geopin_plugin.engine.database.refdb import ReferenceDatabase
from geopin.geopin_plugin.engine.sources import TransportError
from geopin.geopin_plugin.engine.net.transport import USER_AGENT
from geopin.geopin_plugin.qgis_http import QgisHttpClient, auth_token
from geopin.processing import import_street_imagery as module
from geopin.processing.provider import GeoPinProvider

ALG_ID = "geopin:importstreetimagery"


class Feedback(QgsProcessingFeedback):
    def __init__(self):
        super().__init__()
        self.errors, self.warnings, self.infos = [], [], []

    def reportError(self, error, fatalError=False):  # noqa: N802
        self.errors.append(error)

    def pushWarning(self, warning):  # noqa: N802
        self.warnings.append(warning)

    def pushInfo(self, info):  # noqa: N802
        self.infos.append(info)


@pytest.fixture(scope="module")
def algorithm_registry(qgis_app):
    registry = QgsApplication.processingRegistry()
    provider = registry.providerById("geopin")
    added = None
    if provider is None:
        added = GeoPinProvider()
        registry.addProvider(added)
    yield registry
    if added is not None:
        registry.removeProvider(added)


@pytest.fixture
def tiny_models(monkeypatch):
    monkeypatch.setattr(module, "load_models", lambda database: (TinyEmbedder(), TinyOrb()))


def rd_extent():
    """AREA as an EPSG:28992 extent string: the algorithm must transform it back."""
    tr = QgsCoordinateTransform(QgsCoordinateReferenceSystem("EPSG:4326"), QgsCoordinateReferenceSystem("EPSG:28992"),
                                QgsProject.instance())
    r = tr.transformBoundingBox(QgsRectangle(*AREA))
    return f"{r.xMinimum()},{r.xMaximum()},{r.yMinimum()},{r.yMaximum()} [EPSG:28992]"


def run(registry, params):
    alg = registry.createAlgorithmById(ALG_ID)
    assert alg is not None
    context = QgsProcessingContext()
    context.setProject(QgsProject.instance())
    feedback = Feedback()
    results, ok = alg.run(params, context, feedback)
    return results, ok, feedback


def make_authcfg(password):
    manager = QgsApplication.authManager()
    if not manager.masterPasswordIsSet():
        assert manager.setMasterPassword("geopin-test-master", True)
    config = QgsAuthMethodConfig()
    config.setName("geopin test token")
    config.setMethod("Basic")
    config.setConfig("username", "token")
    config.setConfig("password", password)
    assert manager.storeAuthenticationConfig(config)
    return config.id()


def test_qgis_http_client_statuses_headers_and_post(qgis_app, server):
    server.state.points["amsterdam"] = grid_points("a", AREA, 1, 1)
    client = QgisHttpClient(timeout_ms=10000)
    ok = client.get(f"{server.url}/panorama/panoramas/", params={"bbox": ",".join(map(str, AREA)), "page_size": 5})
    assert ok.status == 200 and b'"pano_id": "a0000"' in ok.body
    server.state.behaviour.status_first = [429, 500]
    limited = client.get(f"{server.url}/panorama/panoramas/", params={"bbox": "0,0,1,1"})
    assert limited.status == 429 and limited.header("Retry-After") == "1"
    assert client.get(f"{server.url}/panorama/panoramas/", params={"bbox": "0,0,1,1"}).status == 500
    posted = client.post(f"{server.url}/1.0/list/nearby-photos/", data={"lat": 52.36, "lng": 4.88, "radius": 50})  # form POST
    assert posted.status == 200 and b"currentPageItems" in posted.body
    assert server.state.log[-1]["form"]["radius"] == "50"
    # QGIS's network manager sets its own User-Agent; GeoPin's goes in front of it
    assert all(r["headers"].get("User-Agent", "").startswith(USER_AGENT + " ") for r in server.state.log)
    assert all("QGIS/" in r["headers"]["User-Agent"] for r in server.state.log)
    assert not any("X-GeoPin-Client" in r["headers"] for r in server.state.log)
    client.close()
    with pytest.raises(TransportError):
        client.get("http://127.0.0.1:9/nothing-listens-here")


def test_token_comes_from_the_authentication_manager(qgis_app):
    authcfg = make_authcfg("MLY|secret")
    assert auth_token(authcfg) == "MLY|secret"
    assert auth_token("") is None
    with pytest.raises(LookupError):
        auth_token("nope123")


def test_import_panoramax_with_an_rd_extent_then_resume(algorithm_registry, tiny_models, server, tmp_path):
    pts = grid_points("p", AREA, 3, 3, pano_every=4)
    server.state.points["panoramax"] = pts
    db = str(tmp_path / "ref.gpkg")
    params = {"SOURCE": 1, "EXTENT": rd_extent(), "MAX_IMAGES": 50, "IMAGE_SIZE": 1024, "DATABASE": db,
              "BASE_URL": server.url + "/api", "PANORAMA_HEADINGS": 4}
    results, ok, fb = run(algorithm_registry, params)
    assert ok, fb.errors
    assert results["FOUND"] == len(pts) and results["ADDED"] == len(pts) and results["FAILED"] == 0
    with ReferenceDatabase.open(db) as ref:
        views = ref.views(ref.ids())
        assert {v.source_id for v in views} == {p.id for p in pts}
        assert all(v.licence == "CC-BY-SA-4.0" and "fixture-user" in v.attribution for v in views)
    # run again: everything is already there, nothing is downloaded twice
    images_before = server.state.image_requests
    results, ok, fb = run(algorithm_registry, params)
    assert ok and results["ADDED"] == 0 and results["ALREADY_STORED"] == len(pts)
    assert server.state.image_requests == images_before


def test_mapillary_token_errors_name_where_to_set_it(algorithm_registry, tiny_models, server, tmp_path):
    server.state.points["mapillary"] = grid_points("m", AREA, 2, 2)
    base = {"SOURCE": 0, "EXTENT": rd_extent(), "MAX_IMAGES": 10, "DATABASE": str(tmp_path / "m.gpkg"),
            "BASE_URL": server.url}
    _, ok, fb = run(algorithm_registry, base)
    assert not ok and "needs an access token" in fb.errors[-1]
    assert "Authentication" in fb.errors[-1] and "AUTH_CONFIG" in fb.errors[-1]
    assert server.state.log == []
    wrong = make_authcfg("MLY|wrong")
    _, ok, fb = run(algorithm_registry, dict(base, AUTH_CONFIG=wrong))
    assert not ok and "refused the access token (HTTP 400)" in fb.errors[-1] and "AUTH_CONFIG" in fb.errors[-1]
    assert all("MLY|wrong" not in m for m in fb.errors + fb.warnings + fb.infos)  # never echoed
    good = make_authcfg(MAPILLARY_TOKEN)
    results, ok, fb = run(algorithm_registry, dict(base, AUTH_CONFIG=good))
    assert ok and results["ADDED"] == 4
    assert any(r["headers"].get("Authorization") == f"OAuth {MAPILLARY_TOKEN}" for r in server.state.log)


def test_extent_outside_coverage_is_zero_images_not_an_error(algorithm_registry, tiny_models, server, tmp_path):
    server.state.points["kartaview"] = grid_points("k", AREA, 3, 3)
    results, ok, fb = run(algorithm_registry, {
        "SOURCE": 2, "EXTENT": "5.10,5.11,52.05,52.056 [EPSG:4326]", "MAX_IMAGES": 10,
        "DATABASE": str(tmp_path / "k.gpkg"), "BASE_URL": server.url})
    assert ok, fb.errors
    assert results["FOUND"] == 0 and results["ADDED"] == 0
    assert any("no images in this area" in m for m in fb.infos)


def test_dense_area_warns_and_samples(algorithm_registry, tiny_models, server, tmp_path):
    server.state.points["amsterdam"] = grid_points("a", AREA, 6, 6)
    results, ok, fb = run(algorithm_registry, {
        "SOURCE": 4, "EXTENT": rd_extent(), "MAX_IMAGES": 8, "DATABASE": str(tmp_path / "a.gpkg"),
        "BASE_URL": server.url, "PANORAMA_HEADINGS": 2, "START_DATE": "2023-01-01", "END_DATE": "2023-12-31"})
    assert ok, fb.errors
    assert results["ADDED"] == 8
    assert any("spatially even sample of 8" in w for w in fb.warnings)


def test_polygon_layer_limits_the_area(algorithm_registry, tiny_models, server, tmp_path):
    from qgis.core import QgsFeature, QgsGeometry, QgsPointXY, QgsVectorLayer

    pts = grid_points("p", AREA, 4, 4)
    server.state.points["panoramax"] = pts
    x0, y0, x1, y1 = AREA
    to_rd = QgsCoordinateTransform(QgsCoordinateReferenceSystem("EPSG:4326"),
                                   QgsCoordinateReferenceSystem("EPSG:28992"), QgsProject.instance())
    w, h = x1 - x0, y1 - y0  # a south-west triangle whose edge passes between grid points
    corners = [to_rd.transform(QgsPointXY(x, y)) for x, y in [(x0, y0), (x0 + 1.1 * w, y0), (x0, y0 + 1.1 * h)]]
    layer = QgsVectorLayer("Polygon?crs=EPSG:28992", "area", "memory")
    feature = QgsFeature()
    feature.setGeometry(QgsGeometry.fromPolygonXY([corners + [corners[0]]]))
    layer.dataProvider().addFeatures([feature])
    results, ok, fb = run(algorithm_registry, {
        "SOURCE": 1, "EXTENT": rd_extent(), "AREA": layer, "MAX_IMAGES": 50,
        "DATABASE": str(tmp_path / "poly.gpkg"), "BASE_URL": server.url})
    assert ok, fb.errors
    inside = [p for p in pts if (p.lon - x0) / w + (p.lat - y0) / h < 1.1]
    assert 0 < results["ADDED"] == len(inside) < len(pts)
    with ReferenceDatabase.open(str(tmp_path / "poly.gpkg")) as ref:
        assert {v.source_id for v in ref.views(ref.ids())} == {p.id for p in inside}


def test_import_reports_the_masks_learned_per_sequence(algorithm_registry, tiny_models, server, tmp_path):
    """Two Panoramax sequences, each with its rig's logo in every photo: the log lists a
    mask learned for each sequence (issue 23)."""
    from test_capture_groups import _logo

    server.state.points["panoramax"] = grid_points("p", AREA, 8, 2)  # sequences seq-0, seq-1: 8 photos each
    server.state.overlays.update({s: _logo(s) for s in ("seq-0", "seq-1")})
    results, ok, fb = run(algorithm_registry, {
        "SOURCE": 1, "EXTENT": rd_extent(), "MAX_IMAGES": 50, "DATABASE": str(tmp_path / "seq.gpkg"),
        "BASE_URL": server.url + "/api"})
    assert ok, fb.errors
    assert results["ADDED"] == 16
    learned = sorted(m.split(":")[0] for m in fb.infos if m.startswith("Overlay mask learned for"))
    assert learned == [f"Overlay mask learned for panoramax|capture={s}|192x144|photo" for s in ("seq-0", "seq-1")]
    assert any(m.startswith("Overlay masks: ") and "keypoints on logos" in m for m in fb.infos)
