"""Photo input for the dock: a drop area that takes one or more image files, and
fast thumbnails."""
import os

from qgis.PyQt.QtCore import Qt, pyqtSignal
from qgis.PyQt.QtGui import QImageReader, QPixmap
from qgis.PyQt.QtWidgets import QLabel, QSizePolicy

from ..i18n import tr

THUMB = 160
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
