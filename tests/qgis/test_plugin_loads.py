"""Load the plugin the way QGIS does and check what it registers."""
import importlib

from qgis.core import QgsApplication


def test_class_factory_registers_provider(qgis_iface):
    geopin = importlib.import_module("geopin")
    plugin = geopin.classFactory(qgis_iface)
    plugin.initGui()
    try:
        provider = QgsApplication.processingRegistry().providerById("geopin")
        assert provider is not None
        ids = {alg.id() for alg in provider.algorithms()}
        assert "geopin:buildreferencedatabase" in ids
    finally:
        plugin.unload()
    assert QgsApplication.processingRegistry().providerById("geopin") is None
