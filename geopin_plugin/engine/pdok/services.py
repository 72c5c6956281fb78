"""PDOK's OGC API Features services GeoPin uses (docs/pdok.md says what was confirmed).

Kept free of imports so that Processing can list the default addresses when the
provider loads without pulling in the HTTP plumbing (a plugin reload must find
every module it imported recorded, see tests/qgis/test_plugin_lifecycle.py)."""

RD_NEW_URI = "http://www.opengis.net/def/crs/EPSG/0/28992"
PDOK_PAGE_LIMIT = 1000  # PDOK's maximum features per request (pdok.nl/faq-ogc-api)

# service key -> (title, base URL, collections GeoPin uses)
SERVICES = {
    "brk": ("BRK Kadastrale Kaart", "https://api.pdok.nl/kadaster/brk-kadastrale-kaart/ogc/v1", ("perceel",)),
    "bgt": ("BGT", "https://api.pdok.nl/lv/bgt/ogc/v1", ("pand", "wegdeel", "waterdeel")),
    "bag": ("BAG", "https://api.pdok.nl/kadaster/bag/ogc/v2", ("pand", "verblijfsobject")),
}
