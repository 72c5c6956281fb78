"""Qt translation: every user-visible string goes through tr(); Dutch from i18n/."""
import os

from qgis.PyQt.QtCore import QCoreApplication, QLocale, QTranslator

CONTEXT = "GeoPin"
_I18N_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "i18n")


def tr(text):
    return QCoreApplication.translate(CONTEXT, text)


def user_locale():
    """QGIS's UI language, e.g. "nl_NL". QGIS writes it to locale/userLocale at every start
    (from `--lang`, the override in Options, or the system locale), so plugins follow QGIS;
    the override flag only says where QGIS took it from."""
    from qgis.core import QgsSettings

    return QgsSettings().value("locale/userLocale", "") or QLocale.system().name()


def install_translator(locale=None):
    """Load geopin_<locale>.qm, falling back from nl_NL to nl. Returns the translator or None."""
    locale = locale or user_locale()
    candidates = [locale, locale.split("_")[0]] if locale else []
    for name in candidates:
        path = os.path.join(_I18N_DIR, f"geopin_{name}.qm")
        if os.path.exists(path):
            translator = QTranslator()
            if translator.load(path):
                QCoreApplication.installTranslator(translator)
                return translator
    return None


def remove_translator(translator):
    if translator is not None:
        QCoreApplication.removeTranslator(translator)


def number(value, decimals=0):
    """A number as the QGIS locale writes it (52,354268 in Dutch), "–" for None."""
    if value is None:
        return "–"
    return QLocale().toString(float(value), "f", int(decimals))


def label_text(code):
    """The estimate's label in the user's language (the `label` field keeps the code)."""
    return {"confident": tr("confident"), "uncertain": tr("uncertain"), "no match": tr("no match"),
            "error": tr("error")}.get(code, code)
