"""Query and reference side by side with the verified (inlier) matches drawn as lines."""
import numpy as np
from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtGui import QImage, QPixmap
from qgis.PyQt.QtWidgets import QDialog, QDialogButtonBox, QLabel, QScrollArea, QVBoxLayout

from ..i18n import tr


def rgb_to_qimage(rgb):
    """RGB uint8 (H, W, 3) -> a QImage that owns a copy of the pixels."""
    rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
    h, w = rgb.shape[:2]
    return QImage(rgb.data, w, h, 3 * w, QImage.Format_RGB888).copy()


class MatchViewer(QDialog):
    def __init__(self, query_rgb, reference_rgb, candidate, query_feature_size=None, parent=None):
        super().__init__(parent)
        from ..engine.matchviz import draw_matches

        self.setObjectName("geopinMatchViewer")
        self.setWindowTitle(tr("GeoPin match: view {0}").format(candidate.view.view_id))
        picture = draw_matches(
            query_rgb, reference_rgb, candidate.matches, query_feature_size, candidate.ref_feature_size, height=480
        )
        self.picture = picture
        layout = QVBoxLayout(self)
        self.caption = QLabel(
            tr("Rank {0} · similarity {1:.3f} · {2} inliers · {3}").format(
                candidate.rank, candidate.similarity, candidate.inliers,
                tr("verified") if candidate.verified else tr("not verified"),
            )
        )
        layout.addWidget(self.caption)
        self.image_label = QLabel()
        self.image_label.setAlignment(Qt.AlignCenter)
        self.image_label.setPixmap(QPixmap.fromImage(rgb_to_qimage(picture)))
        scroll = QScrollArea()
        scroll.setWidget(self.image_label)
        scroll.setWidgetResizable(True)
        layout.addWidget(scroll)
        attribution = getattr(candidate.view, "attribution", "") or ""
        if attribution:
            layout.addWidget(QLabel(tr("Reference: {0}").format(attribution)))
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(min(1400, picture.shape[1] + 40), min(900, picture.shape[0] + 120))
