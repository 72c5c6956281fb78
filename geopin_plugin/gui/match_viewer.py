"""Query and reference side by side with the verified (inlier) matches drawn as
lines; each image labelled ("Your photo" / the reference's source, date and
licence); a line saying which reference pinned the camera heading (the view
cone's, engine/estimate/viewcone.py); Previous/Next step through the candidates and tell
the dock which one is shown (it highlights it on the map)."""
import numpy as np
from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtGui import QImage, QPixmap
from qgis.PyQt.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
)

from ..i18n import number, tr

HEIGHT = 480


def rgb_to_qimage(rgb):
    """RGB uint8 (H, W, 3) -> a QImage that owns a copy of the pixels."""
    rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
    h, w = rgb.shape[:2]
    return QImage(rgb.data, w, h, 3 * w, QImage.Format_RGB888).copy()


def reference_caption(view):
    parts = [tr("Reference: {0}").format(view.source or "?")]
    if getattr(view, "capture_time", None):
        parts.append(str(view.capture_time)[:10])
    if getattr(view, "licence", None):
        parts.append(view.licence)
    if getattr(view, "attribution", None):
        parts.append(view.attribution)
    return " · ".join(parts)


class MatchViewer(QDialog):
    """`candidates`: the result's candidates in rank order; `reference_images`: view id
    -> RGB; `on_candidate(candidate)` is called each time another one is shown."""

    def __init__(self, query_rgb, candidates, reference_images, index=0, query_feature_size=None, parent=None,
                 on_candidate=None, cone=None, reference_masks=None):
        super().__init__(parent)
        self.setObjectName("geopinMatchViewer")
        self.query_rgb = query_rgb
        self.reference_images = reference_images
        # only candidates with a reference picture can be shown
        self.candidates = [c for c in candidates if c.view.view_id in reference_images]
        self.query_feature_size = query_feature_size
        self.on_candidate = on_candidate
        self.cone = cone  # engine.viewcone.ViewCone of the result, or None (no heading)
        self.reference_masks = reference_masks or {}  # view id -> overlay mask cells, drawn hatched
        self.index = 0
        self.picture = None

        layout = QVBoxLayout(self)
        self.caption = QLabel("")
        self.caption.setObjectName("geopinMatchCaption")
        layout.addWidget(self.caption)
        self.heading_label = QLabel("")
        self.heading_label.setObjectName("geopinMatchHeading")
        self.heading_label.setWordWrap(True)
        layout.addWidget(self.heading_label)
        titles = QHBoxLayout()
        self.query_title = QLabel(tr("Your photo"))
        self.query_title.setObjectName("geopinMatchQueryTitle")
        self.reference_title = QLabel("")
        self.reference_title.setObjectName("geopinMatchReferenceTitle")
        titles.addWidget(self.query_title, 1, Qt.AlignLeft)
        titles.addWidget(self.reference_title, 1, Qt.AlignRight)
        layout.addLayout(titles)
        self.image_label = QLabel()
        self.image_label.setAlignment(Qt.AlignCenter)
        scroll = QScrollArea()
        scroll.setWidget(self.image_label)
        scroll.setWidgetResizable(True)
        layout.addWidget(scroll)
        self.mask_label = QLabel(tr("Hatched: a logo, cap or hood that recurs in this camera's images (an overlay "
                                    "mask); no keypoints there were stored"))
        self.mask_label.setObjectName("geopinMatchMask")
        self.mask_label.setWordWrap(True)
        layout.addWidget(self.mask_label)
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        self.previous_button = QPushButton(tr("◀ Previous"))
        self.previous_button.setObjectName("geopinMatchPrevious")
        self.next_button = QPushButton(tr("Next ▶"))
        self.next_button.setObjectName("geopinMatchNext")
        buttons.addButton(self.previous_button, QDialogButtonBox.ActionRole)
        buttons.addButton(self.next_button, QDialogButtonBox.ActionRole)
        self.previous_button.clicked.connect(lambda: self.show_candidate(self.index - 1))
        self.next_button.clicked.connect(lambda: self.show_candidate(self.index + 1))
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        start = next((i for i, c in enumerate(self.candidates) if c is candidates[index]), 0) if candidates else 0
        self.show_candidate(start)

    def heading_text(self, cand):
        """Which reference pinned the camera heading, marked when it is the one shown."""
        cone = self.cone
        if cone is None:
            return ""
        heading = number(cone.heading_deg, 0)
        pinned = cone.pinned_by
        if pinned is None:
            return tr("Camera heading {0}°").format(heading)
        if pinned is cand or pinned.view.view_id == cand.view.view_id:
            return tr("This reference pinned the camera heading: {0}° ± {1}°").format(
                heading, number(cone.heading_sd_deg or 0.0, 0))
        return tr("Camera heading {0}°, pinned by view {1} (#{2})").format(heading, pinned.view.view_id, pinned.rank)

    @property
    def candidate(self):
        return self.candidates[self.index] if self.candidates else None

    def show_candidate(self, index):
        from ..engine.verification.matchviz import draw_matches

        if not self.candidates:
            self.caption.setText(tr("No reference images to show"))
            return None
        self.index = max(0, min(len(self.candidates) - 1, index))
        cand = self.candidates[self.index]
        reference = self.reference_images[cand.view.view_id]
        self.picture = draw_matches(self.query_rgb, reference, cand.matches, self.query_feature_size,
                                    cand.ref_feature_size, height=HEIGHT,
                                    reference_mask=self.reference_masks.get(cand.view.view_id))
        self.image_label.setPixmap(QPixmap.fromImage(rgb_to_qimage(self.picture)))
        self.setWindowTitle(tr("GeoPin match: view {0}").format(cand.view.view_id))
        self.caption.setText(tr("Rank {0} · similarity {1} · {2} inliers · {3}").format(
            cand.rank, number(cand.similarity, 3), cand.inliers,
            tr("verified") if cand.verified else tr("not verified")))
        self.reference_title.setText(reference_caption(cand.view))
        self.heading_label.setText(self.heading_text(cand))
        self.heading_label.setVisible(bool(self.heading_label.text()))
        self.mask_label.setVisible(cand.view.view_id in self.reference_masks)
        self.previous_button.setEnabled(self.index > 0)
        self.next_button.setEnabled(self.index < len(self.candidates) - 1)
        self.resize(min(1400, self.picture.shape[1] + 40), min(900, self.picture.shape[0] + 150))
        if self.on_candidate is not None:
            self.on_candidate(cand)
        return cand
