"""Street-level imagery sources: one module per API, one interface (see base.py).

    source = make_source("panoramax", http=UrllibHttpClient(), base_url=None, token=None)
    result = source.search((4.88, 52.36, 4.90, 52.37), max_images=200, image_size=1024)
    path = source.download(result.images[0], "/tmp/x.jpg")
"""
from .amsterdam import AmsterdamSource
from .spatial import Area
from .base import AuthError, SearchResult, SourceError, StreetImagerySource
from ..errors import Cancelled, ImageError
from ..net.transport import HttpClient, HttpResponse, RetryPolicy, TransportError, USER_AGENT
from .image import SourceImage
from .kartaview import KartaViewSource
from .mapilio import MapilioSource
from .mapillary import MapillarySource
from .panoramax import PanoramaxSource

SOURCES = {cls.name: cls for cls in (MapillarySource, PanoramaxSource, KartaViewSource, MapilioSource,
                                     AmsterdamSource)}
SOURCE_NAMES = list(SOURCES)  # the Processing SOURCE enum, in this order


def make_source(name, http, base_url=None, token=None, **kw) -> StreetImagerySource:
    try:
        cls = SOURCES[name]
    except KeyError:
        raise ValueError(f"unknown source {name!r}; one of {', '.join(SOURCES)}") from None
    if base_url and cls is KartaViewSource:
        kw.setdefault("image_base_url", base_url)
    return cls(http, base_url=base_url or None, token=token, **kw)


__all__ = ["Area", "AuthError", "Cancelled", "HttpClient", "HttpResponse", "ImageError", "RetryPolicy",
           "SearchResult", "SourceError", "SourceImage", "StreetImagerySource", "TransportError", "USER_AGENT",
           "SOURCES", "SOURCE_NAMES", "make_source"]
