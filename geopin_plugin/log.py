"""Python logging bridged to QGIS's message log under the tag "GeoPin"."""
import logging

TAG = "GeoPin"
LOGGER_NAME = "geopin"


class QgsMessageLogHandler(logging.Handler):
    def emit(self, record):
        from qgis.core import Qgis, QgsMessageLog

        if record.levelno >= logging.ERROR:
            level = Qgis.Critical
        elif record.levelno >= logging.WARNING:
            level = Qgis.Warning
        else:
            level = Qgis.Info
        try:
            QgsMessageLog.logMessage(self.format(record), TAG, level)
        except Exception:  # logging must never raise into the caller
            self.handleError(record)


def install_qgis_handler():
    """Attach the bridge once; returns the handler so unload() can remove it."""
    logger = logging.getLogger(LOGGER_NAME)
    for handler in logger.handlers:
        if isinstance(handler, QgsMessageLogHandler):
            return handler
    handler = QgsMessageLogHandler()
    handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    return handler


def remove_qgis_handler(handler):
    logging.getLogger(LOGGER_NAME).removeHandler(handler)


def get_logger(name=""):
    return logging.getLogger(f"{LOGGER_NAME}.{name}" if name else LOGGER_NAME)
