"""The dock's "Results table…": one row per located photo of the dock (photo, label,
confidence, position, error radius, camera heading, best reference), sortable, with
"Export CSV…". The CSV keeps codes and plain numbers (a dot for decimals) so other
tools read it; the table shows them in the user's language."""
import csv
import os

from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from .. import settings
from ..i18n import label_text, number, tr
from ..result_layers import is_located, reference_name

CSV_COLUMNS = ("photo", "photo_name", "label", "confidence", "lat", "lon", "x_rd", "y_rd", "error_radius_m",
               "heading_deg", "best_reference", "best_reference_inliers", "n_verified")


def best_candidate(geo):
    verified = [c for c in geo.candidates if c.verified]
    return max(verified, key=lambda c: c.inliers) if verified else None


def result_row(photo, geo):
    """One photo's answer as {CSV column: value}; no position for a no match."""
    located = is_located(geo)
    best = best_candidate(geo) if located else None
    return {
        "photo": photo, "photo_name": os.path.basename(photo), "label": geo.label,
        "confidence": round(float(geo.confidence), 3),
        "lat": round(geo.lat, 7) if located else None, "lon": round(geo.lon, 7) if located else None,
        "x_rd": round(geo.x, 1) if located else None, "y_rd": round(geo.y, 1) if located else None,
        "error_radius_m": round(float(geo.error_radius_m), 1) if located else None,
        "heading_deg": round(float(geo.heading_deg), 1) if located and getattr(geo, "heading_deg", None) is not None
        else None,
        "best_reference": reference_name(best.view) if best is not None else None,
        "best_reference_inliers": int(best.inliers) if best is not None else None,
        "n_verified": int(geo.n_verified),
    }


def write_csv(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: "" if row[k] is None else row[k] for k in CSV_COLUMNS})
    return path


def headers():
    return [tr("Photo"), tr("Label"), tr("Confidence"), tr("Latitude"), tr("Longitude"), tr("Radius (m)"),
            tr("Heading (°)"), tr("Best reference")]


def cells(row):
    """The table's texts of a row (locale numbers) and the values it sorts by."""
    def num(key, decimals):
        return (number(row[key], decimals) if row[key] is not None else "–", row[key] if row[key] is not None else -1)

    return [(row["photo_name"], row["photo_name"]), (label_text(row["label"]), row["label"]),
            num("confidence", 2), num("lat", 6), num("lon", 6), num("error_radius_m", 0), num("heading_deg", 0),
            (row["best_reference"] or "–", row["best_reference"] or "")]


class SortableItem(QTableWidgetItem):
    def __lt__(self, other):
        mine, theirs = self.data(Qt.UserRole), other.data(Qt.UserRole)
        try:
            return mine < theirs
        except TypeError:
            return str(mine) < str(theirs)


class ResultsTable(QDialog):
    """rows: result_row() dicts, in the dock's photo order."""

    def __init__(self, rows, parent=None):
        super().__init__(parent)
        self.setObjectName("geopinResultsTable")
        self.setWindowTitle(tr("GeoPin results"))
        self.rows = rows
        layout = QVBoxLayout(self)
        self.table = QTableWidget(len(rows), len(headers()))
        self.table.setObjectName("geopinResultsTableView")
        self.table.setHorizontalHeaderLabels(headers())
        self.table.setEditTriggers(QTableWidget.NoEditTriggers)
        for r, row in enumerate(rows):
            for c, (text, key) in enumerate(cells(row)):
                item = SortableItem(text)
                item.setData(Qt.UserRole, key)
                item.setToolTip(row["photo"] if c == 0 else text)
                self.table.setItem(r, c, item)
        self.table.setSortingEnabled(True)
        self.table.resizeColumnsToContents()
        layout.addWidget(self.table)
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        self.export_button = QPushButton(tr("Export CSV…"))
        self.export_button.setObjectName("geopinExportCsv")
        self.export_button.setToolTip(tr("Save this table as a CSV file (codes and plain numbers, for spreadsheets "
                                         "and scripts)"))
        self.export_button.clicked.connect(lambda _checked=False: self.export_dialog())
        buttons.addButton(self.export_button, QDialogButtonBox.ActionRole)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(900, 360)

    def export_dialog(self):
        start = os.path.join(settings.value("last_save_dir", "") or "", "geopin_results.csv")
        path, _ = QFileDialog.getSaveFileName(self, tr("Export CSV"), start, tr("CSV files (*.csv)"))
        if not path:
            return None
        if not path.lower().endswith(".csv"):
            path += ".csv"
        settings.set_value("last_save_dir", os.path.dirname(path))
        return write_csv(path, self.rows)
