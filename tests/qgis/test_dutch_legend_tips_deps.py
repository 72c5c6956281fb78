"""Issue 16, the rest: Dutch legends, labels and locale numbers; fixed-size legend
swatches; map tips with thumbnails and the "Show matches" action into a match
viewer that labels both images and steps through candidates; the dependency
installer finding QGIS's own Python (not the first python3 on PATH) and the
message bar with an install button that goes away once nothing is missing."""
import re
import os
import sys
import time
from pathlib import Path

import pytest
from qgis.core import (
    QgsExpression,
    QgsExpressionContext,
    QgsExpressionContextUtils,
    QgsLayerTreeModel,
    QgsProject,
)
from qgis.PyQt.QtCore import QCoreApplication, QLocale

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import geolocation_db  # noqa: E402

pytestmark = pytest.mark.timeout(900)


@pytest.fixture(scope="session")
def small_db(tmp_path_factory, datasets_dir):
    return geolocation_db.build(tmp_path_factory.getbasetemp() / "geolocation", datasets_dir)


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
    start = time.time()
    while dock.task is not None:
        QCoreApplication.processEvents()
        time.sleep(0.02)
        assert time.time() - start < 600
    assert dock.result is not None, dock.stage_label.text()
    return dock


def test_dutch_legends_labels_and_locale_numbers(qgis_app, qgis_iface, small_db, dutch):
    project = QgsProject.instance()
    project.clear()
    db, _, query, _ = small_db
    dock = locate_with_dock(qgis_iface, db, query)
    try:
        estimate, candidates, footprints, posterior = dock.result_layers
        feature = next(estimate.getFeatures())
        assert feature["label"] == "confident" and feature["label_text"] == "zeker"  # code + translation
        assert [c.label() for c in estimate.renderer().categories()] == ["zeker", "onzeker", "geen overeenkomst"]
        assert candidates.renderer().ranges()[0].label() == "overeenkomst 0,00–0,30"
        assert sorted(c.label() for c in footprints.renderer().categories()) == ["50 %-gebied", "90 %-gebied"]
        assert posterior.name() == "Posterior-dichtheid" and estimate.name() == "Schatting"
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
        assert "overeenkomst 0," in dock.results_list.item(0).text()
    finally:
        dock.close_and_cleanup()
        project.clear()


def test_legend_swatch_keeps_its_size_at_every_scale(qgis_app, qgis_iface, small_db):
    from geopin.geopin_plugin.result_styles import LEGEND_SWATCH_MM

    project = QgsProject.instance()
    project.clear()
    db, _, query, _ = small_db
    dock = locate_with_dock(qgis_iface, db, query)
    try:
        estimate = dock.result_layers[0]
        node = project.layerTreeRoot().findLayer(estimate.id())
        model = QgsLayerTreeModel(project.layerTreeRoot())
        model.setFlag(QgsLayerTreeModel.ShowLegend, True)
        sizes = []
        for scale in (500, 50_000, 5_000_000):  # zoomed in to zoomed far out
            model.setLegendMapViewData(scale / 3780.0, 96, scale)  # map units per pixel at 96 dpi
            nodes = model.layerLegendNodes(node)
            assert len(nodes) == 3
            sizes.append([(n.minimumIconSize().width(), n.minimumIconSize().height()) for n in nodes])
        assert sizes[0] == sizes[1] == sizes[2], sizes  # the same at every map scale
        from qgis.core import QgsMapLayerLegendUtils

        for i in range(3):  # layout legends draw a fixed mm swatch instead of the map-unit error circle
            custom = QgsMapLayerLegendUtils.legendNodeCustomSymbol(node, i)
            assert custom is not None and custom.symbolLayer(0).sizeUnit() == 0  # QgsUnitTypes.RenderMillimeters
            assert QgsMapLayerLegendUtils.legendNodeSymbolSize(node, i).width() == LEGEND_SWATCH_MM
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
