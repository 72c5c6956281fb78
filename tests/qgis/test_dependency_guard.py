"""Every GeoPin algorithm refuses to run without its Python packages, however it
is called (toolbox, processing.run from the console, a direct processAlgorithm),
with a QgsProcessingException that names them, never a ModuleNotFoundError."""
import pytest
from qgis.core import QgsApplication, QgsProcessingContext, QgsProcessingException, QgsProcessingFeedback


@pytest.fixture
def provider(qgis_app):
    from geopin.processing.provider import GeoPinProvider

    registry = QgsApplication.processingRegistry()
    if registry.providerById("geopin") is not None:
        registry.removeProvider(registry.providerById("geopin"))
    provider = GeoPinProvider()
    registry.addProvider(provider)
    yield provider
    registry.removeProvider(provider)


def test_every_algorithm_refuses_to_run_without_dependencies(provider, monkeypatch):
    from processing.core.Processing import Processing

    import processing
    from geopin.geopin_plugin import deps

    Processing.initialize()
    monkeypatch.setitem(deps.REQUIRED, "geopin_no_such_module", "geopin-no-such-package")
    algorithms = provider.algorithms()
    assert len(algorithms) >= 5
    for alg in algorithms:
        ok, message = alg.canExecute()  # the toolbox
        assert not ok and "geopin-no-such-package" in message
        with pytest.raises(QgsProcessingException, match="geopin-no-such-package"):
            processing.run(alg.id(), {})  # the Python console
        instance = alg.create()
        for method in ("prepareAlgorithm", "processAlgorithm"):  # a caller that skips the checks
            if method in type(instance).__dict__ or method == "processAlgorithm":
                with pytest.raises(QgsProcessingException, match="geopin-no-such-package"):
                    getattr(instance, method)({}, QgsProcessingContext(), QgsProcessingFeedback())


def test_an_index_library_is_enough_and_faiss_is_named_when_neither_is_there(monkeypatch):
    from geopin.geopin_plugin import deps

    monkeypatch.setattr(deps, "INDEX_LIBRARIES", {"hnswlib": "hnswlib", "geopin_no_faiss": "faiss-cpu"})
    assert "faiss-cpu" not in deps.missing() or not deps._found("hnswlib")
    monkeypatch.setattr(deps, "INDEX_LIBRARIES", {"geopin_no_hnswlib": "hnswlib", "faiss": "faiss-cpu"})
    assert "faiss-cpu" not in deps.missing()
    monkeypatch.setattr(deps, "INDEX_LIBRARIES", {"geopin_no_hnswlib": "hnswlib",
                                                  "geopin_no_faiss": "faiss-cpu"})
    assert "faiss-cpu" in deps.missing()
    assert "faiss-cpu" in deps.verify_imports()
