"""PDOK's open OGC API Features (BRK, BGT, BAG) joined to GeoPin's posterior.

services.py the service addresses and collections
client.py   one OGC API Features service: collection metadata, items by bbox in
            EPSG:28992, `next` links, retries, size and time limits
cache.py    answers cached per (service, collection, bbox) in a GeoPackage
features.py PDOK GeoJSON (or a user's own layers) -> parcels, buildings, addresses
"""
