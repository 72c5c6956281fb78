"""Photo input for the dock: a drop area that takes photos and folders of photos
(nothing else), removing a photo from the list (Delete, context menu), fast
thumbnails and the EXIF facts shown under the list."""
import os

from qgis.PyQt.QtCore import QEvent, Qt, pyqtSignal
from qgis.PyQt.QtGui import QImageReader, QPixmap
from qgis.PyQt.QtWidgets import QLabel, QSizePolicy

from ..i18n import number, tr
from ..log import get_logger

THUMB = 160
LOG = get_logger("dock")
PHOTO_EXTENSIONS = (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp")  # the dock's photo filter


def photo_files(paths):
    """The photos among dropped `paths`: image files, and the images of a folder (sorted,
    not its subfolders); anything else (README.md, a spreadsheet) is left out."""
    photos = []
    for path in paths:
        if os.path.isdir(path):
            photos += [os.path.join(path, name) for name in sorted(os.listdir(path))
                       if os.path.isfile(os.path.join(path, name)) and name.lower().endswith(PHOTO_EXTENSIONS)]
        elif os.path.isfile(path) and path.lower().endswith(PHOTO_EXTENSIONS):
            photos.append(path)
    return photos


class PhotoListActions:
    """Mixed into GeoPinDock (its photos_list, photo_paths, task): the Delete key and the
    list's context menu remove the selected photo."""

    def eventFilter(self, watched, event):  # noqa: N802
        if watched is self.photos_list and event.type() == QEvent.KeyPress and \
                event.key() in (Qt.Key_Delete, Qt.Key_Backspace):
            self.remove_selected_photos()
            return True
        return super().eventFilter(watched, event)

    def remove_selected_photos(self):
        """Delete key or the list's context menu: drop the selected photos (not while locating)."""
        if self.task is not None:
            return
        rows = sorted({self.photos_list.row(item) for item in self.photos_list.selectedItems()}, reverse=True)
        for row in rows:
            self.photos_list.takeItem(row)
            del self.photo_paths[row]
        if not self.photo_paths:
            self.clear_photos()
        self._update_buttons()


class PhotoDropArea(QLabel):
    """A label that shows the photo's thumbnail and accepts a dropped image file."""

    photos_dropped = pyqtSignal(list)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("geopinPhotoDrop")
        self.setAcceptDrops(True)
        self.setAlignment(Qt.AlignCenter)
        self.setMinimumHeight(THUMB * 3 // 4)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Preferred)
        self.setStyleSheet("QLabel#geopinPhotoDrop { border: 2px dashed #999; border-radius: 6px; color: #666; }")
        self.setText(tr("Drop photos here"))
        self.setToolTip(tr("Drop photos or a folder of photos here"))

    @staticmethod
    def _local_files(mime):
        paths = [url.toLocalFile() for url in (mime.urls() if mime.hasUrls() else [])]
        return photo_files([p for p in paths if p])

    def dragEnterEvent(self, event):  # noqa: N802
        if self._local_files(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event):  # noqa: N802
        paths = self._local_files(event.mimeData())
        if paths:
            event.acceptProposedAction()
            self.photos_dropped.emit(paths)


def thumbnail(path, size=THUMB):
    """A scaled QPixmap read without decoding the full image (fast on 8000×4000 panoramas)."""
    reader = QImageReader(path)
    reader.setAutoTransform(True)
    full = reader.size()
    if full.isValid() and full.width() > 0:
        reader.setScaledSize(full.scaled(size * 2, size * 2, Qt.KeepAspectRatio))
    image = reader.read()
    if image.isNull():
        return None
    return QPixmap.fromImage(image)


def exif_facts(path):
    """The photo's name and what its EXIF says (position, time, heading, camera), for the dock."""
    facts = [os.path.basename(path)]
    try:
        from ..engine.images import read_exif

        exif = read_exif(path) or {}
    except Exception as exc:  # a broken EXIF block is a fact to show, not an error
        LOG.info("No EXIF for %s: %s", path, exc)
        exif = {}
    if exif.get("lat") is not None and exif.get("lon") is not None:
        facts.append(tr("EXIF position {0}, {1}").format(number(exif["lat"], 6), number(exif["lon"], 6)))
    else:
        facts.append(tr("No GPS position in EXIF"))
    if exif.get("capture_time"):
        facts.append(tr("Taken {0}").format(exif["capture_time"]))
    if exif.get("heading") is not None:
        facts.append(tr("Heading {0}°").format(number(exif["heading"], 0)))
    for key in ("make", "model"):
        if exif.get(key):
            facts.append(str(exif[key]))
    return " · ".join(facts)
