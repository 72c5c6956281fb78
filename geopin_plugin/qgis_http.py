"""An HttpClient (engine/sources/base.py) on QGIS's network stack.

Requests go through QgsNetworkAccessManager, so the user's
proxy, SSL and network settings apply; the User-Agent names GeoPin and its
version. Tokens are not read here: the caller passes them as headers, taken from
QGIS's authentication manager (see auth_token) and never written to logs.

The same limits as the urllib client (engine/net/urllib_client.py): only http(s);
redirects are not left to Qt (which would carry every raw header, the token
included, to any host): this client follows at most MAX_REDIRECTS itself and drops
the credential headers when one leaves the origin; a body larger than max_bytes
and a download past its deadline are aborted while they arrive (download
progress), so a 150 MB answer is never buffered whole.
"""
import time
import urllib.parse

from qgis.core import QgsApplication, QgsAuthMethodConfig, QgsNetworkAccessManager
from qgis.PyQt.QtCore import QByteArray, QEventLoop, QTimer, QUrl
from qgis.PyQt.QtNetwork import QNetworkRequest

from .engine.net.transport import (DOWNLOAD_DEADLINE_S, MAX_BODY_BYTES, MAX_REDIRECTS, SENSITIVE_HEADERS, USER_AGENT,
                                   HttpResponse, LimitExceeded, TransportError, check_scheme, origin)
from .engine.net.urllib_client import build_url


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

    def __init__(self, timeout_ms=60000, user_agent=USER_AGENT, feedback=None, max_bytes=MAX_BODY_BYTES,
                 deadline_s=DOWNLOAD_DEADLINE_S):
        self.timeout_ms = timeout_ms
        self.user_agent = user_agent
        self.feedback = feedback
        self.max_bytes = int(max_bytes)
        self.deadline_s = float(deadline_s)
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
        # redirects are followed below, where the token can be dropped
        request.setAttribute(QNetworkRequest.RedirectPolicyAttribute, QNetworkRequest.ManualRedirectPolicy)
        return request

    def get(self, url, params=None, headers=None):
        return self._exchange("GET", build_url(url, params), dict(headers or {}), None)

    def post(self, url, data=None, headers=None):
        hdrs = {"Content-Type": "application/x-www-form-urlencoded"}
        hdrs.update(headers or {})
        body = urllib.parse.urlencode({k: v for k, v in (data or {}).items() if v is not None}).encode()
        return self._exchange("POST", url, hdrs, body)

    def _exchange(self, method, url, headers, body):
        deadline = time.monotonic() + self.deadline_s
        for _ in range(MAX_REDIRECTS + 1):
            check_scheme(url)
            response = self._once(method, url, headers, body, deadline)
            target = response.header("Location") if response.status in (301, 302, 303, 307, 308) else None
            if not target:
                return response
            target = urllib.parse.urljoin(url, target)
            try:
                check_scheme(target)
            except LimitExceeded as exc:
                raise LimitExceeded(f"redirect {exc}") from None
            if origin(target) != origin(url):
                headers = {k: v for k, v in headers.items() if k.lower() not in SENSITIVE_HEADERS}
            if response.status == 303 or (response.status in (301, 302) and method == "POST"):
                method, body = "GET", None
                headers = {k: v for k, v in headers.items() if k.lower() != "content-type"}
            url = target
        raise LimitExceeded(f"more than {MAX_REDIRECTS} redirects")

    def _once(self, method, url, headers, body, deadline):
        """One exchange on QgsNetworkAccessManager (the instance of this thread: the
        user's proxy and SSL settings apply) with a local event loop. Not
        QgsBlockingNetworkRequest: it follows redirects on its own and, called from the
        main thread, downloads in a helper thread where a Python slot cannot run until
        the download ends, so it could not stop a 150 MB or a 1 byte/s answer."""
        manager = QgsNetworkAccessManager.instance()
        request = self._request(url, headers)
        if method == "POST":
            reply = manager.post(request, QByteArray(body or b""))
        else:
            reply = manager.get(request)
        # Qt's HTTP thread reads at most this far ahead of us: a huge body stalls at the
        # cap instead of filling memory while our abort waits for the event loop
        reply.setReadBufferSize(self.max_bytes + 1)
        loop = QEventLoop()
        broken = []

        # A Python slot that raises in a worker thread makes PyQt call qFatal: QGIS aborts.
        # So every slot here catches the RuntimeError of a reply Qt has already deleted
        # (5 aborts in 44 looped parcels-panel runs), and all of them are disconnected below
        # before the reply is handed to deleteLater.
        def stop(reason):
            if not broken:
                broken.append(reason)
                try:
                    reply.abort()
                except RuntimeError:  # already deleted: nothing left to stop
                    pass

        def progress(received, total):
            if max(received, total) > self.max_bytes:
                stop(f"answer is larger than the limit of {self.max_bytes} bytes")
            elif time.monotonic() > deadline:
                stop(f"download took longer than {self.deadline_s:g} s")

        def buffered():  # a stalled buffer emits no more progress: the buffered bytes themselves say so
            try:
                too_big = reply.bytesAvailable() > self.max_bytes
            except RuntimeError:
                return
            if too_big:
                stop(f"answer is larger than the limit of {self.max_bytes} bytes")

        def late():
            stop(f"download took longer than {self.deadline_s:g} s")

        timer = QTimer()
        timer.setSingleShot(True)
        timer.timeout.connect(late)
        timer.start(max(1, int((deadline - time.monotonic()) * 1000)))
        canceled = self.feedback is not None and hasattr(self.feedback, "canceled")
        if canceled:
            self.feedback.canceled.connect(reply.abort)
        slots = ((reply.downloadProgress, progress), (reply.readyRead, buffered), (reply.finished, loop.quit))
        for signal, slot in slots:
            signal.connect(slot)
        try:
            if not reply.isFinished():
                loop.exec_()
        finally:
            timer.stop()
            for signal, slot in slots + ((timer.timeout, late),) + (
                    ((self.feedback.canceled, reply.abort),) if canceled else ()):
                try:
                    signal.disconnect(slot)
                except (TypeError, RuntimeError):  # not connected, or the reply is gone
                    pass
        try:
            if broken:
                raise LimitExceeded(broken[0])
            try:
                return self._response(reply)
            except RuntimeError as exc:  # Qt deleted the reply under us: an answer we cannot read
                raise TransportError(f"the answer was lost ({exc})") from None
        finally:
            try:
                reply.deleteLater()
            except RuntimeError:  # Qt deleted it already
                pass

    @staticmethod
    def _response(reply):
        status = reply.attribute(QNetworkRequest.HttpStatusCodeAttribute)
        if status is None or not int(status):
            raise TransportError(reply.errorString() or "no answer")
        headers = {}
        for name in reply.rawHeaderList():
            key = bytes(name).decode("latin-1")
            headers[key] = bytes(reply.rawHeader(name)).decode("latin-1")
        return HttpResponse(int(status), headers, bytes(reply.readAll()))


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
