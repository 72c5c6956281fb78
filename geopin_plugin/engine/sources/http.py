"""A urllib HttpClient for tests and scripts (inside QGIS, qgis_http.QgisHttpClient)."""
from __future__ import annotations

import http.client
import urllib.error
import urllib.parse
import urllib.request
from typing import Mapping, Optional

from .base import USER_AGENT, HttpResponse, TransportError


def build_url(url: str, params: Optional[Mapping[str, object]] = None) -> str:
    if not params:
        return url
    query = urllib.parse.urlencode({k: v for k, v in params.items() if v is not None})
    return url + ("&" if "?" in url else "?") + query


class UrllibHttpClient:
    def __init__(self, timeout: float = 30.0, user_agent: str = USER_AGENT):
        self.timeout = timeout
        self.user_agent = user_agent

    def get(self, url, params=None, headers=None) -> HttpResponse:
        return self._send(urllib.request.Request(build_url(url, params), headers=self._headers(headers)))

    def post(self, url, data=None, headers=None) -> HttpResponse:
        body = urllib.parse.urlencode({k: v for k, v in (data or {}).items() if v is not None}).encode()
        hdrs = self._headers(headers)
        hdrs.setdefault("Content-Type", "application/x-www-form-urlencoded")
        return self._send(urllib.request.Request(url, data=body, headers=hdrs, method="POST"))

    def _headers(self, headers) -> dict:
        out = {"User-Agent": self.user_agent}
        out.update(headers or {})
        return out

    def _send(self, request) -> HttpResponse:
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as resp:
                return HttpResponse(resp.status, dict(resp.headers.items()), resp.read())
        except urllib.error.HTTPError as err:
            try:
                body = err.read()
            except (OSError, http.client.HTTPException):
                body = b""
            return HttpResponse(err.code, dict(err.headers.items()) if err.headers else {}, body)
        except (OSError, http.client.HTTPException) as exc:  # URLError, timeouts, IncompleteRead
            raise TransportError(str(exc)) from None
