"""Dutch from the compiled .qm with nl_NL -> nl fallback, logging bridged to the
QGIS message log (tag GeoPin), settings under GeoPin/ in QgsSettings."""
import logging
import subprocess
from pathlib import Path

import pytest
from qgis.core import Qgis, QgsApplication, QgsSettings

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def compiled_qm():
    """What `make translations` does: compile i18n/*.ts next to them."""
    ts = REPO / "i18n" / "geopin_nl.ts"
    qm = ts.with_suffix(".qm")
    if not qm.exists() or qm.stat().st_mtime < ts.stat().st_mtime:
        subprocess.run(["lrelease", "-silent", str(ts), "-qm", str(qm)], check=True)
    return qm


@pytest.mark.parametrize("locale", ["nl_NL", "nl_BE", "nl"])
def test_dutch_translator_with_fallback(qgis_app, compiled_qm, locale):
    from geopin.geopin_plugin import i18n

    translator = i18n.install_translator(locale)
    try:
        assert translator is not None
        assert i18n.tr("Install dependencies…") == "Afhankelijkheden installeren…"
    finally:
        i18n.remove_translator(translator)
    assert i18n.tr("Install dependencies…") == "Install dependencies…"


def test_other_locales_stay_english(qgis_app, compiled_qm):
    from geopin.geopin_plugin import i18n

    assert i18n.install_translator("fr_FR") is None
    assert i18n.tr("Install dependencies…") == "Install dependencies…"


def test_user_locale_follows_qgis_override(qgis_app):
    from geopin.geopin_plugin import i18n

    settings = QgsSettings()
    old = settings.value("locale/overrideFlag"), settings.value("locale/userLocale")
    try:
        settings.setValue("locale/overrideFlag", True)
        settings.setValue("locale/userLocale", "nl_NL")
        assert i18n.user_locale() == "nl_NL"
    finally:
        for key, value in zip(("locale/overrideFlag", "locale/userLocale"), old):
            settings.remove(key) if value is None else settings.setValue(key, value)


def test_python_logging_reaches_qgis_message_log(qgis_app):
    from geopin.geopin_plugin import log

    received = []

    def on_message(message, tag, level):
        received.append((message, tag, level))

    QgsApplication.messageLog().messageReceived.connect(on_message)
    handler = log.install_qgis_handler()
    try:
        assert log.install_qgis_handler() is handler  # installed once
        log.get_logger("test").warning("careful %d", 7)
        log.get_logger("test").error("broken")
        log.get_logger().info("hello")
    finally:
        log.remove_qgis_handler(handler)
        QgsApplication.messageLog().messageReceived.disconnect(on_message)
    assert ("geopin.test: careful 7", "GeoPin", Qgis.Warning) in received
    assert ("geopin.test: broken", "GeoPin", Qgis.Critical) in received
    assert ("geopin: hello", "GeoPin", Qgis.Info) in received
    assert handler not in logging.getLogger("geopin").handlers


def test_settings_live_under_geopin_prefix(qgis_app):
    from geopin.geopin_plugin import settings

    raw = QgsSettings()
    old = raw.value("GeoPin/top_k")
    old_db = raw.value("GeoPin/database")  # other tests may have stored one in the shared profile
    raw.remove("GeoPin/database")
    try:
        settings.set_value("top_k", 37)
        assert raw.value("GeoPin/top_k") in (37, "37")
        assert settings.value("top_k") == 37
        raw.setValue("GeoPin/top_k", "not a number")
        assert settings.value("top_k") == settings.DEFAULTS["top_k"]
        assert settings.value("database") == ""
        assert settings.value("database", "/x.gpkg") == "/x.gpkg"
    finally:
        raw.remove("GeoPin/top_k") if old is None else raw.setValue("GeoPin/top_k", old)
        if old_db is not None:
            raw.setValue("GeoPin/database", old_db)
