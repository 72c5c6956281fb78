"""An HttpClient (engine/sources/base.py) on QGIS's network stack.

QgsBlockingNetworkRequest goes through QgsNetworkAccessManager, so the user's
proxy, SSL and network settings apply; the User-Agent names GeoPin and its
version. Tokens are not read here: the caller passes them as headers, taken from
QGIS's authentication manager (see auth_token) and never written to logs.
"""
import urllib.parse

from qgis.core import QgsApplication, QgsAuthMethodConfig, QgsBlockingNetworkRequest, QgsNetworkAccessManager
from qgis.PyQt.QtCore import QByteArray, QUrl
from qgis.PyQt.QtNetwork import QNetworkRequest

from .engine.sources.base import USER_AGENT, HttpResponse, TransportError
from .engine.sources.http import build_url


MARK = b"X-GeoPin-Client"  # marks GeoPin's requests for the User-Agent preprocessor


def _user_agent_preprocessor(request):
    """QgsNetworkAccessManager sets its own User-Agent on every request; for the
    requests GeoPin marked, put GeoPin's in front (keeping QGIS's after it)."""
    mark = request.rawHeader(MARK)
    if not mark or mark.isEmpty():
        return
    qgis_agent = bytes(request.rawHeader(b"User-Agent")).decode("latin-1")
    ours = bytes(mark).decode("latin-1")
    request.setRawHeader(b"User-Agent", f"{ours} {qgis_agent}".strip().encode("latin-1"))
    request.setRawHeader(MARK, QByteArray())


class QgisHttpClient:
    """Use as a context manager (or call close()): it installs a request
    preprocessor for the User-Agent while it lives."""

    def __init__(self, timeout_ms=60000, user_agent=USER_AGENT, feedback=None):
        self.timeout_ms = timeout_ms
        self.user_agent = user_agent
        self.feedback = feedback
        self._preprocessor_id = QgsNetworkAccessManager.setRequestPreprocessor(_user_agent_preprocessor)

    def close(self):
        if self._preprocessor_id:
            QgsNetworkAccessManager.removeRequestPreprocessor(self._preprocessor_id)
            self._preprocessor_id = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:  # interpreter shutdown
            pass

    def _request(self, url, headers):
        request = QNetworkRequest(QUrl(url))
        request.setRawHeader(MARK, self.user_agent.encode("latin-1"))
        for key, value in (headers or {}).items():
            request.setRawHeader(key.encode("latin-1"), str(value).encode("latin-1"))
        try:
            request.setTransferTimeout(self.timeout_ms)
        except AttributeError:  # Qt < 5.15
            pass
        return request

    def get(self, url, params=None, headers=None):
        blocking = QgsBlockingNetworkRequest()
        error = blocking.get(self._request(build_url(url, params), headers), True, self.feedback)
        return self._response(blocking, error)

    def post(self, url, data=None, headers=None):
        hdrs = {"Content-Type": "application/x-www-form-urlencoded"}
        hdrs.update(headers or {})
        body = urllib.parse.urlencode({k: v for k, v in (data or {}).items() if v is not None}).encode()
        blocking = QgsBlockingNetworkRequest()
        error = blocking.post(self._request(url, hdrs), QByteArray(body), True, self.feedback)
        return self._response(blocking, error)

    @staticmethod
    def _response(blocking, error):
        reply = blocking.reply()
        status = reply.attribute(QNetworkRequest.HttpStatusCodeAttribute)
        if status is None or (error == QgsBlockingNetworkRequest.NetworkError and not status):
            raise TransportError(blocking.errorMessage() or "no answer")
        headers = {}
        for name in reply.rawHeaderList():
            key = bytes(name).decode("latin-1")
            headers[key] = bytes(reply.rawHeader(name)).decode("latin-1")
        return HttpResponse(int(status), headers, bytes(reply.content()))


def auth_token(authcfg):
    """The secret of a QGIS authentication configuration: the "token"/first value of
    an API-header config, else the password of a Basic config. None when empty.

    Raises LookupError when the configuration id is unknown."""
    if not authcfg:
        return None
    manager = QgsApplication.authManager()
    config = QgsAuthMethodConfig()
    if not manager.loadAuthenticationConfig(authcfg, config, True) or not config.isValid(True):
        raise LookupError(authcfg)
    values = config.configMap()
    for key in ("token", "access_token", "Authorization", "password"):
        if values.get(key):
            return _strip_scheme(values[key])
    for key, value in values.items():  # an APIHeader config: {header name: value}
        if value and key not in ("username", "realm"):
            return _strip_scheme(value)
    return None


def _strip_scheme(value):
    """"OAuth MLY|..." or "Bearer x" -> the bare token (the sources add their scheme)."""
    value = str(value).strip()
    for scheme in ("OAuth ", "Bearer ", "Token "):
        if value.startswith(scheme):
            return value[len(scheme):].strip()
    return value
