"""GeoPin plugin package: engine (QGIS-free pipeline), gui and QGIS glue."""
