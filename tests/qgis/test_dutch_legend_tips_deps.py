"""Issue 16, the rest: Dutch legends, labels and locale numbers; legend swatches of
one size at every scale; map tips with thumbnails and the "Show matches" action into a match
viewer that labels both images and steps through candidates; the dependency
installer finding QGIS's own Python (not the first python3 on PATH) and the
message bar with an install button that goes away once nothing is missing."""
import re
import os
import sys
from pathlib import Path

import pytest
from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsExpression,
    QgsExpressionContext,
    QgsExpressionContextUtils,
    QgsLayerTreeModel,
    QgsMapRendererSequentialJob,
    QgsMapSettings,
    QgsProject,
    QgsRectangle,
)
from qgis.PyQt.QtCore import QLocale, QSize, Qt
from qgis.PyQt.QtGui import QColor, QIcon, QImage, qAlpha

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from qgis_helpers import wait_for  # noqa: E402

pytestmark = pytest.mark.timeout(900)


@pytest.fixture
def dutch():
    from geopin.geopin_plugin.i18n import install_translator, remove_translator

    previous = QLocale()
    QLocale.setDefault(QLocale("nl_NL"))
    translator = install_translator("nl_NL")
    assert translator is not None
    yield
    remove_translator(translator)
    QLocale.setDefault(previous)


def locate_with_dock(qgis_iface, db, photo):
    from geopin.geopin_plugin.gui.dock import GeoPinDock

    dock = GeoPinDock(qgis_iface)
    dock.set_database(str(db))
    dock.set_photo(str(photo))
    dock.locate()
    wait_for(lambda: dock.task is None)
    assert dock.result is not None, dock.stage_label.text()
    return dock


def test_dutch_legends_labels_and_locale_numbers(qgis_app, qgis_iface, small_db, dutch):
    project = QgsProject.instance()
    project.clear()
    db, _, query, _ = small_db
    dock = locate_with_dock(qgis_iface, db, query)
    try:
        estimate, candidates, cone, footprints, posterior = dock.result_layers
        assert cone.name() == f"Kijkkegel — {query.name}" and "kijkrichting" in cone.mapTipTemplate()
        feature = next(estimate.getFeatures())
        assert feature["label"] == "confident" and feature["label_text"] == "zeker"  # code + translation
        assert [c.label() for c in estimate.renderer().categories()] == [
            "zeker", "onzeker", "geen overeenkomst", "gestippelde cirkel: de camera stond erbinnen met 68 % kans"]
        assert candidates.renderer().ranges()[0].label() == "gelijkenis 0,00–0,30"
        assert sorted(c.label() for c in footprints.renderer().categories()) == ["50 %-gebied", "90 %-gebied"]
        assert posterior.name() == f"Posterior-dichtheid — {query.name}" and estimate.name() == \
            f"Schatting — {query.name}"
        assert "per km²" in posterior.renderer().legendSymbologyItems()[-1][0]
        # the map label: translated label, locale numbers
        expression = estimate.labeling().settings().fieldName
        context = QgsExpressionContext(QgsExpressionContextUtils.globalProjectLayerScopes(estimate))
        context.setFeature(feature)
        text = QgsExpression(expression).evaluate(context)
        assert re.match(r"zeker [01],\d\d ", text) and " m" in text, text  # decimal comma
        # the dock: Dutch words and decimal commas
        summary = dock.summary_label.text()
        assert re.search(r"betrouwbaarheid [01],\d", summary) and "Schatting 52," in summary, summary
        assert "gelijkenis 0," in dock.results_list.item(0).text()
    finally:
        dock.close_and_cleanup()
        project.clear()


def ink_size(image):
    """(width, height) in pixels of the non-transparent part of an image."""
    image = image.convertToFormat(QImage.Format_ARGB32)
    xs, ys = [], []
    for y in range(image.height()):
        for x in range(image.width()):
            if qAlpha(image.pixel(x, y)):
                xs.append(x)
                ys.append(y)
    return (max(xs) - min(xs) + 1, max(ys) - min(ys) + 1) if xs else (0, 0)


def test_legend_swatch_keeps_its_size_at_every_scale(qgis_app, qgis_iface, qgis_canvas, small_db):
    """The layer tree's legend icons of the estimate, drawn as QGIS draws them for the
    canvas's scale, stay small at every scale; on the map the error circle keeps its
    size in metres."""
    project = QgsProject.instance()
    project.clear()
    qgis_canvas.setDestinationCrs(QgsCoordinateReferenceSystem("EPSG:28992"))
    db, _, query, _ = small_db
    dock = locate_with_dock(qgis_iface, db, query)
    try:
        estimate = dock.result_layers[0]
        feature = next(estimate.getFeatures())
        node = project.layerTreeRoot().findLayer(estimate.id())
        model = QgsLayerTreeModel(project.layerTreeRoot())
        # QGIS defers this recomputation by a timer; the icons are the same without it
        model.setFlag(QgsLayerTreeModel.DeferredLegendInvalidation, False)
        swatches = {}
        for scale in (500, 5_000, 100_000, 2_000_000):
            qgis_canvas.setCenter(feature.geometry().asPoint())
            qgis_canvas.zoomScale(scale)
            # what QGIS does on every scale change of its canvas
            dpi = qgis_canvas.mapSettings().outputDpi()
            model.setLegendMapViewData(qgis_canvas.mapUnitsPerPixel(), int(round(dpi)), qgis_canvas.scale())
            nodes = model.layerLegendNodes(node)
            assert [type(n).__name__ for n in nodes] == ["QgsSymbolLegendNode"] * 4  # and the error circle
            px_per_mm = dpi / 25.4
            for n in nodes:
                icon = model.data(model.legendNode2index(n), Qt.DecorationRole)
                image = (icon.pixmap(n.iconSize()) if isinstance(icon, QIcon) else icon).toImage()
                swatch = (n.iconSize().width(), n.iconSize().height(), *ink_size(image))
                assert all(3 * px_per_mm <= side <= 10 * px_per_mm for side in swatch), (scale, swatch, dpi)
                swatches.setdefault(n.data(Qt.DisplayRole), set()).add(swatch)
        assert all(len(sizes) == 1 for sizes in swatches.values()), swatches  # the same at every scale

        # the map: 2 * error_radius_m across at 1:2,000 (map units), the star's 6 mm far out
        settings = QgsMapSettings(qgis_canvas.mapSettings())
        settings.setLayers([estimate])
        settings.setOutputSize(QSize(400, 400))
        settings.setBackgroundColor(QColor(0, 0, 0, 0))
        settings.setFlag(QgsMapSettings.DrawLabeling, False)
        for scale, expected_mm in ((2_000, 2 * feature["error_radius_m"] * 1000 / 2_000), (2_000_000, 6.0)):
            mupp = scale / (settings.outputDpi() / 0.0254)
            centre = feature.geometry().asPoint()
            settings.setExtent(QgsRectangle(centre.x() - 200 * mupp, centre.y() - 200 * mupp,
                                            centre.x() + 200 * mupp, centre.y() + 200 * mupp))
            job = QgsMapRendererSequentialJob(settings)
            job.start()
            job.waitForFinished()
            width_mm = ink_size(job.renderedImage())[0] / (settings.outputDpi() / 25.4)
            assert abs(width_mm - expected_mm) < 1.5, (scale, width_mm, expected_mm)
    finally:
        dock.close_and_cleanup()
        project.clear()


def test_map_tips_action_and_match_viewer(qgis_app, qgis_iface, small_db):
    project = QgsProject.instance()
    project.clear()
    db, _, query, _ = small_db
    dock = locate_with_dock(qgis_iface, db, query)
    try:
        estimate, candidates = dock.result_layers[:2]
        first = next(candidates.getFeatures("\"rank\" = 1"))
        context = QgsExpressionContext(QgsExpressionContextUtils.globalProjectLayerScopes(candidates))
        context.setFeature(first)
        tip = QgsExpression.replaceExpressionText(candidates.mapTipTemplate(), context)
        assert f'src="file://{first["ref_image"]}"' in tip and "<img" in tip
        context = QgsExpressionContext(QgsExpressionContextUtils.globalProjectLayerScopes(estimate))
        context.setFeature(next(estimate.getFeatures()))
        assert f'src="file://{query}"' in QgsExpression.replaceExpressionText(estimate.mapTipTemplate(), context)

        # the action: its Python, expanded for the feature as QGIS does, opens the viewer
        action = [a for a in candidates.actions().actions() if a.name() == "Show matches"][0]
        context = QgsExpressionContext(QgsExpressionContextUtils.globalProjectLayerScopes(candidates))
        context.setFeature(first)
        code = QgsExpression.replaceExpressionText(action.command(), context)
        namespace = {}
        exec(code.replace("match_actions.open_match_viewer", "viewer = match_actions.open_match_viewer"), namespace)
        viewer = namespace["viewer"]
        assert viewer is not None and viewer.candidate.rank == 1
        assert viewer.query_title.text() == "Your photo"
        assert viewer.reference_title.text().startswith("Reference: amsterdam-panorama")
        assert "Gemeente Amsterdam" in viewer.reference_title.text()
        assert not viewer.previous_button.isEnabled() and viewer.next_button.isEnabled()
        viewer.next_button.click()
        assert viewer.candidate.rank == 2
        selected = [f["rank"] for f in candidates.selectedFeatures()]
        assert selected == [2]  # highlighted on the map
        viewer.close()
    finally:
        dock.close_and_cleanup()
        project.clear()


# --- 5. the dependency installer --------------------------------------------------------
def test_installer_uses_qgis_python_not_the_first_python3_on_path(tmp_path, monkeypatch):
    from geopin.geopin_plugin import deps

    shim = tmp_path / "bin" / "python3"
    shim.parent.mkdir()
    shim.write_text("#!/bin/sh\necho 3.11.7\necho /home/user/.pyenv/versions/3.11.7\n")
    shim.chmod(0o755)
    monkeypatch.setenv("PATH", f"{shim.parent}{os.pathsep}{os.environ['PATH']}")
    assert not deps.is_same_python(str(shim))  # another version / installation
    exe = deps.python_executable()
    assert exe != str(shim) and deps.is_same_python(exe)
    # inside QGIS on Windows/macOS sys.executable is the QGIS binary: found from the prefix instead
    monkeypatch.setattr(sys, "executable", str(tmp_path / "qgis-bin"))
    found = deps.python_executable()
    assert os.path.realpath(found).startswith(os.path.realpath(sys.base_exec_prefix)) and deps.is_same_python(found)
    # nothing that matches: an error, never a guess
    monkeypatch.setattr(deps, "interpreter_candidates", lambda: [str(shim)])
    with pytest.raises(deps.PythonNotFound, match="QGIS's own Python"):
        deps.python_executable()


def test_missing_dependency_bar_has_an_install_button_and_goes_away(qgis_app, qgis_iface, monkeypatch):
    from qgis.PyQt.QtWidgets import QPushButton

    from geopin.geopin_plugin import deps
    from geopin.geopin_plugin.gui.dock import GeoPinDock
    from geopin.geopin_plugin.plugin import GeoPinPlugin

    plugin = GeoPinPlugin(qgis_iface)
    plugin.initGui()
    shown = []
    monkeypatch.setattr(plugin, "show_installer", lambda *a: shown.append(True))
    try:
        monkeypatch.setattr(deps, "missing", lambda required=None: ["hnswlib"])
        plugin.check_dependencies()
        item = plugin.deps_message
        assert item is not None and "hnswlib" in item.text()
        button = item.findChild(QPushButton, "geopinDepsInstallBar")
        assert button is not None
        # the dock does not run Locate without the packages, and offers the installer
        dock = GeoPinDock(qgis_iface)
        dock.refresh_dependencies()
        assert not dock.locate_button.isEnabled() and not dock.deps_button.isHidden()
        assert dock.locate() is None
        dock.close_and_cleanup()
        # after a successful install the warning is gone
        monkeypatch.setattr(deps, "missing", lambda required=None: [])
        plugin.installation_finished(True)
        assert plugin.deps_message is None
    finally:
        plugin.unload()
