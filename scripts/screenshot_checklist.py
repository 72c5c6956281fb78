"""Screenshots of the dock's first-run checklist in English and Dutch:
docs/screenshots/checklist_en.png and checklist_nl.png — offscreen grabs.

Run it with QGIS's own Python and none of GeoPin's packages (what a new user has
after "Install from ZIP"): the checklist then shows the missing packages for real;
the models come from the user models folder, no database is chosen.

    QT_QPA_PLATFORM=offscreen GEOPIN_DEPS_DIR=/nonexistent /usr/bin/python3 scripts/screenshot_checklist.py
"""
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from plugin_path import REPO  # noqa: E402  (the checkout as package `geopin`)

OUT = REPO / "docs" / "screenshots"


class Iface:
    def __init__(self, window, canvas):
        self._window, self._canvas = window, canvas

    def mainWindow(self):  # noqa: N802
        return self._window

    def mapCanvas(self):  # noqa: N802
        return self._canvas

    def messageBar(self):  # noqa: N802
        return None


def grab(locale, path):
    from qgis.gui import QgsMapCanvas
    from qgis.PyQt.QtCore import QCoreApplication, QLocale
    from qgis.PyQt.QtWidgets import QMainWindow

    from geopin.geopin_plugin import i18n, settings

    QLocale.setDefault(QLocale(locale))
    translator = i18n.install_translator(locale) if locale != "en" else None
    settings.set_value("database", "")
    window = QMainWindow()
    canvas = QgsMapCanvas(window)
    from geopin.geopin_plugin.gui.dock import GeoPinDock

    dock = GeoPinDock(Iface(window, canvas))
    dock.resize(430, 760)
    dock.show()
    for _ in range(20):
        QCoreApplication.processEvents()
    path.parent.mkdir(parents=True, exist_ok=True)
    dock.grab().save(str(path))
    state = dock.first_run.state
    texts = [dock.first_run.labels[k].text() for k in dock.first_run.ROWS]
    dock.close_and_cleanup()
    i18n.remove_translator(translator)
    return state, texts


def main():
    from qgis.core import QgsApplication

    os.environ.setdefault("GEOPIN_DEPS_DIR", "/nonexistent")
    app = QgsApplication([], True)
    app.initQgis()
    for locale in ("en", "nl"):
        state, texts = grab(locale, OUT / f"checklist_{locale}.png")
        print(locale, state, texts)
    app.exitQgis()


if __name__ == "__main__":
    main()
