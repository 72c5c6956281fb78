"""HTTP for the sources, PDOK and QGIS's network client: the client protocol, transport
errors and limits (``transport.py``) and a urllib client for scripts and tests."""
