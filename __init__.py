"""GeoPin QGIS plugin entry point. Kept light: nothing heavy is imported here."""


def classFactory(iface):  # noqa: N802 (QGIS API name)
    from .geopin_plugin.plugin import GeoPinPlugin

    return GeoPinPlugin(iface)
