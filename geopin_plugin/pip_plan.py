"""What "Install dependencies…" needs to know before and after pip runs: whether
the package index can be reached through QGIS's own network settings (its proxy),
what pip will download and how big that is, and one plain sentence for a failure.

pip runs wheels only (--only-binary :all:): a QGIS user has no compiler, so a
package without a wheel for this platform must be named, not compiled.
"""
import json
import os
import re
import urllib.parse

from .i18n import tr

INDEX_URL = "https://pypi.org/simple/"
JSON_API = "https://pypi.org/pypi/{name}/{version}/json"
PROBE_URL = INDEX_URL + "pip/"
# pip gives up after one retry of 15 s instead of pages of retries when offline
PIP_NETWORK_ARGS = ("--retries", "1", "--timeout", "15")


def qgis_proxy_url(settings=None):
    """The proxy QGIS is set to use (Settings ▸ Options ▸ Network) as a URL for pip's
    HTTPS_PROXY, or "" for none / the system's (which pip reads from the environment)."""
    if settings is None:
        from qgis.core import QgsSettings

        settings = QgsSettings()
    enabled = str(settings.value("proxy/proxyEnabled", False)).lower() in ("true", "1")
    kind = str(settings.value("proxy/proxyType", "") or "")
    host = str(settings.value("proxy/proxyHost", "") or "").strip()
    if not enabled or not host or kind in ("DefaultProxy", "NoProxy"):
        return ""
    port = str(settings.value("proxy/proxyPort", "") or "").strip()
    user = str(settings.value("proxy/proxyUser", "") or "")
    password = str(settings.value("proxy/proxyPassword", "") or "")
    scheme = "socks5" if kind == "Socks5Proxy" else "http"
    auth = ""
    if user:
        auth = urllib.parse.quote(user, safe="") + (":" + urllib.parse.quote(password, safe="") if password else "") + "@"
    return f"{scheme}://{auth}{host}" + (f":{port}" if port else "")


def proxy_environment(proxy_url):
    """Environment variables that make pip use `proxy_url` (empty: none added)."""
    if not proxy_url:
        return {}
    return {"HTTPS_PROXY": proxy_url, "HTTP_PROXY": proxy_url, "https_proxy": proxy_url, "http_proxy": proxy_url}


def _get(url, timeout_ms):
    """(HTTP status or 0, body bytes) through QGIS's network manager: its proxy, its SSL settings."""
    from qgis.core import QgsBlockingNetworkRequest, QgsNetworkAccessManager
    from qgis.PyQt.QtCore import QUrl
    from qgis.PyQt.QtNetwork import QNetworkRequest

    old = QgsNetworkAccessManager.timeout()
    QgsNetworkAccessManager.setTimeout(timeout_ms)
    try:
        request = QgsBlockingNetworkRequest()
        error = request.get(QNetworkRequest(QUrl(url)), forceRefresh=True)
        reply = request.reply()
        if error != QgsBlockingNetworkRequest.NoError:
            return 0, b""
        status = reply.attribute(QNetworkRequest.HttpStatusCodeAttribute)
        return int(status or 0), bytes(reply.content())
    finally:
        QgsNetworkAccessManager.setTimeout(old)


def index_reachable(url=PROBE_URL, timeout_ms=10000):
    """Whether the package index answers through QGIS's network settings."""
    status, _ = _get(url, timeout_ms)
    return status == 200


def planned_downloads(report_path):
    """[(name, version, wheel URL)] from `pip install --dry-run --report`."""
    with open(report_path, encoding="utf-8") as fh:
        report = json.load(fh)
    return [(item["metadata"]["name"], item["metadata"]["version"], item["download_info"]["url"])
            for item in report.get("install", [])]


def wheel_size(name, version, url, timeout_ms=10000):
    """Bytes of the wheel at `url` from the index's JSON API; None when unknown (a local file: its size)."""
    if url.startswith("file://"):
        path = urllib.parse.unquote(urllib.parse.urlparse(url).path)
        return os.path.getsize(path) if os.path.exists(path) else None
    status, body = _get(JSON_API.format(name=name, version=version), timeout_ms)
    if status != 200:
        return None
    filename = url.rsplit("/", 1)[-1].split("#")[0]
    try:
        files = json.loads(body.decode("utf-8")).get("urls", [])
    except ValueError:
        return None
    return next((int(f["size"]) for f in files if f.get("filename") == filename), None)


def describe_plan(items):
    """One line a package, and the total: items are (name, version, bytes or None)."""
    lines = [f"{name} {version}: " + (f"{size / 1e6:.1f} MB" if size else "?") for name, version, size in items]
    total = sum(size or 0 for _n, _v, size in items)
    return lines, total


NO_WHEEL = re.compile(r"(?:No matching distribution found for|Could not find a version that satisfies the "
                      r"requirement) ([A-Za-z0-9_.\-]+)")
NETWORK = ("Failed to establish a new connection", "Temporary failure in name resolution", "ProxyError",
           "Max retries exceeded", "Network is unreachable", "Name or service not known", "ConnectTimeout",
           "Read timed out", "Connection refused", "getaddrinfo failed")


def explain_failure(output, exit_code, offline_folder=None):
    """One plain sentence (translated) for a failed pip run, from its output."""
    import platform
    import sys

    if any(marker in output for marker in NETWORK):
        return tr("GeoPin could not reach the Python package index (pypi.org): connect to the internet, set "
                  "QGIS's proxy under Settings ▸ Options ▸ Network, or install from a folder of wheel files.")
    if "No space left on device" in output:
        return tr("The disk is full: free some space and install again.")
    if "Permission denied" in output or "Access is denied" in output:
        return tr("GeoPin may not write to the folder for Python packages: check its permissions.")
    match = NO_WHEEL.search(output)
    if match:
        where = "Python %d.%d, %s %s" % (sys.version_info[0], sys.version_info[1], platform.system(),
                                        platform.machine())
        if offline_folder:
            return tr("The folder of wheels has no wheel of {0} for this QGIS ({1}): add it and install "
                      "again.").format(match.group(1), where)
        return tr("There is no ready-made package (wheel) of {0} for this QGIS ({1}); GeoPin does not "
                  "compile packages. Please report it to GeoPin.").format(match.group(1), where)
    return tr("pip failed (exit code {0}); the log above says why.").format(exit_code)
