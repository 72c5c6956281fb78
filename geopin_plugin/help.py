"""Help pages: the README rendered to HTML (Qt's Markdown reader, no network) in the
profile's geopin/help folder, opened in the browser at a section. Used by the dock's
Help button and the Processing dialogs' Help button (GeoPinAlgorithm.helpUrl)."""
import os
import re

from qgis.core import QgsApplication
from qgis.PyQt.QtCore import QUrl
from qgis.PyQt.QtGui import QDesktopServices, QTextCursor, QTextDocument

PLUGIN_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
README = os.path.join(PLUGIN_ROOT, "README.md")
USING_SECTION = "using-geopin-in-qgis"
PROCESSING_SECTION = "processing-algorithms"


def slug(title):
    """A heading's anchor as GitHub writes it: lower case, punctuation dropped, spaces to dashes."""
    return re.sub(r"[^\w\- ]", "", title.strip().lower()).replace(" ", "-")


def rendered_readme(folder=None):
    """README.md as an HTML page (headings carry their anchors, images resolve beside
    the README); rewritten when the README is newer. Returns its path."""
    folder = folder or os.path.join(QgsApplication.qgisSettingsDirPath(), "geopin", "help")
    target = os.path.join(folder, "README.html")
    if os.path.exists(target) and os.path.getmtime(target) >= os.path.getmtime(README):
        return target
    with open(README, encoding="utf-8") as fh:
        document = QTextDocument()
        document.setMarkdown(fh.read())
    block = document.begin()
    while block.isValid():
        if block.blockFormat().headingLevel() > 0:
            cursor = QTextCursor(block)
            cursor.select(QTextCursor.LineUnderCursor)
            fmt = cursor.charFormat()
            fmt.setAnchor(True)
            fmt.setAnchorNames([slug(block.text())])
            cursor.mergeCharFormat(fmt)
        block = block.next()
    html = document.toHtml(b"utf-8")
    base = QUrl.fromLocalFile(PLUGIN_ROOT + os.sep).toString()
    html = html.replace("<head>", f'<head><base href="{base}"><title>GeoPin</title>', 1)
    os.makedirs(folder, exist_ok=True)
    with open(target, "w", encoding="utf-8") as fh:
        fh.write(html)
    return target


def help_url(section=USING_SECTION):
    url = QUrl.fromLocalFile(rendered_readme())
    url.setFragment(section)
    return url


def open_help(section=USING_SECTION):
    """Open the rendered help at `section` in the user's browser; returns the URL."""
    url = help_url(section)
    QDesktopServices.openUrl(url)
    return url
