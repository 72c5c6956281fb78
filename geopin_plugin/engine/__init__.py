"""QGIS-free geolocation pipeline. Never import qgis (or torch) from here."""
