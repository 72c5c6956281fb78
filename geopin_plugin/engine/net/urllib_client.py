"""A urllib HttpClient for tests and scripts (inside QGIS, qgis_http.QgisHttpClient).

Both clients keep the same limits (base.py): only http(s) URLs; at most
MAX_REDIRECTS redirects, and a redirect that leaves the origin drops the
credential headers; a body larger than ``max_bytes`` is refused while it arrives,
not after it is all in memory; one exchange may not take longer than
``deadline_s`` in total (read one chunk at a time, so a 1 byte/s server is cut off).
"""
from __future__ import annotations

import http.client
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Mapping, Optional

from .transport import (DOWNLOAD_DEADLINE_S, MAX_BODY_BYTES, MAX_REDIRECTS, SENSITIVE_HEADERS, USER_AGENT,
                        HttpResponse, LimitExceeded, TransportError, check_scheme, origin)

CHUNK = 64 * 1024


def build_url(url: str, params: Optional[Mapping[str, object]] = None) -> str:
    if not params:
        return url
    query = urllib.parse.urlencode({k: v for k, v in params.items() if v is not None})
    return url + ("&" if "?" in url else "?") + query


class _ScopedRedirects(urllib.request.HTTPRedirectHandler):
    """urllib copies every header onto a redirect, Authorization included; here a
    redirect to another origin goes without credentials, a non-http(s) target is refused."""

    max_redirections = MAX_REDIRECTS

    def http_error_302(self, req, fp, code, msg, headers):
        target = headers.get("location") or headers.get("uri")
        if target:  # urllib would answer a file:// target with the bare 30x: say why instead
            try:
                check_scheme(urllib.parse.urljoin(req.full_url, target))
            except LimitExceeded as exc:
                raise LimitExceeded(f"redirect {exc}") from None
        return super().http_error_302(req, fp, code, msg, headers)

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        try:
            check_scheme(newurl)
        except LimitExceeded as exc:
            raise LimitExceeded(f"redirect {exc}") from None
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None and origin(newurl) != origin(req.full_url):
            for store in (new.headers, new.unredirected_hdrs):
                for key in [k for k in store if k.lower() in SENSITIVE_HEADERS]:
                    del store[key]
        return new


class UrllibHttpClient:
    def __init__(self, timeout: float = 30.0, user_agent: str = USER_AGENT, max_bytes: int = MAX_BODY_BYTES,
                 deadline_s: float = DOWNLOAD_DEADLINE_S):
        self.timeout = timeout
        self.user_agent = user_agent
        self.max_bytes = int(max_bytes)
        self.deadline_s = float(deadline_s)
        # no FileHandler/FTPHandler: only http(s) ever leaves this client
        self._opener = urllib.request.OpenerDirector()
        for handler in (urllib.request.HTTPHandler(), urllib.request.HTTPSHandler(),
                        urllib.request.HTTPDefaultErrorHandler(), urllib.request.HTTPErrorProcessor(),
                        _ScopedRedirects()):
            self._opener.add_handler(handler)

    def get(self, url, params=None, headers=None) -> HttpResponse:
        url = build_url(url, params)
        check_scheme(url)
        return self._send(urllib.request.Request(url, headers=self._headers(headers)))

    def post(self, url, data=None, headers=None) -> HttpResponse:
        check_scheme(url)
        body = urllib.parse.urlencode({k: v for k, v in (data or {}).items() if v is not None}).encode()
        hdrs = self._headers(headers)
        hdrs.setdefault("Content-Type", "application/x-www-form-urlencoded")
        return self._send(urllib.request.Request(url, data=body, headers=hdrs, method="POST"))

    def _headers(self, headers) -> dict:
        out = {"User-Agent": self.user_agent}
        out.update(headers or {})
        return out

    def _send(self, request) -> HttpResponse:
        deadline = time.monotonic() + self.deadline_s
        try:
            with self._opener.open(request, timeout=self.timeout) as resp:
                return HttpResponse(resp.status, dict(resp.headers.items()), self._read(resp, deadline))
        except urllib.error.HTTPError as err:
            try:
                body = self._read(err, deadline)
            except (OSError, http.client.HTTPException):
                body = b""
            return HttpResponse(err.code, dict(err.headers.items()) if err.headers else {}, body)
        except LimitExceeded:
            raise
        except (OSError, http.client.HTTPException) as exc:  # URLError, timeouts, IncompleteRead
            raise TransportError(str(exc)) from None

    def _read(self, resp, deadline: float) -> bytes:
        declared = resp.headers.get("Content-Length") if resp.headers else None
        if declared and declared.strip().isdigit() and int(declared) > self.max_bytes:
            raise LimitExceeded(f"answer of {int(declared)} bytes is larger than the limit of {self.max_bytes}")
        chunks, total = [], 0
        read = getattr(resp, "read1", None) or resp.read
        while True:
            if time.monotonic() > deadline:
                raise LimitExceeded(f"download took longer than {self.deadline_s:g} s")
            chunk = read(CHUNK)  # read1: one socket read, so the deadline is checked between them
            if not chunk:
                missing = getattr(resp, "length", None)  # read1 ends quietly on a body cut short
                if isinstance(missing, int) and missing > 0:
                    raise TransportError(f"body cut short: {missing} bytes missing")
                return b"".join(chunks)
            total += len(chunk)
            if total > self.max_bytes:
                raise LimitExceeded(f"answer is larger than the limit of {self.max_bytes} bytes")
            chunks.append(chunk)
