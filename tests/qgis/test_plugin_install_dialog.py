"""The "Install dependencies…" dialog, offscreen, with a real pip run that needs no
network: a tiny wheel generated here, installed with --no-index into a temp folder."""
import importlib
import sys
import time
import zipfile

from qgis.PyQt.QtCore import QCoreApplication


def make_wheel(folder, name="geopin_probe", version="0.1"):
    wheel = folder / f"{name}-{version}-py3-none-any.whl"
    info = f"{name}-{version}.dist-info"
    files = {
        f"{name}/__init__.py": "ANSWER = 42\n",
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: geopin-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = "".join(f"{path},,\n" for path in files) + f"{info}/RECORD,,\n"
    with zipfile.ZipFile(wheel, "w") as zf:
        for path, text in files.items():
            zf.writestr(path, text)
        zf.writestr(f"{info}/RECORD", record)
    return wheel


def run_dialog(dialog, timeout=120):
    finished = []
    dialog.installFinished.connect(finished.append)
    dialog.start()
    assert dialog.is_running() or finished
    deadline = time.monotonic() + timeout
    while not finished and time.monotonic() < deadline:
        QCoreApplication.processEvents()
        time.sleep(0.02)
    assert finished, "pip did not finish in time:\n" + dialog.log_view.toPlainText()
    return finished[0]


def test_installs_local_wheel_verifies_import_and_shows_log(qgis_app, tmp_path):
    from geopin.geopin_plugin import deps
    from geopin.geopin_plugin.gui.install_dialog import InstallDependenciesDialog

    wheel = make_wheel(tmp_path)
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(f"{wheel}\n")
    target = tmp_path / "python-packages"
    required = {"geopin_probe": "geopin-probe"}
    assert deps.missing(required) == ["geopin-probe"]

    dialog = InstallDependenciesDialog(
        requirements_file=str(requirements), target=str(target), required=required, pip_args=["--no-index"]
    )
    try:
        assert "geopin-probe" in dialog.intro.text()
        ok = run_dialog(dialog)
        log = dialog.log_view.toPlainText()
        assert ok, log
        assert dialog.succeeded is True
        # the command ran with the running interpreter, pip, --target and constraints
        first = log.splitlines()[0]
        assert first.startswith(f"$ {deps.python_executable()} -m pip install")
        assert f"--target {target}" in first and " -c " in first
        assert "Successfully installed geopin-probe-0.1" in log  # pip's own output, shown live
        assert (target / "geopin_probe" / "__init__.py").is_file()
        assert str(target) in sys.path  # appended, so QGIS's own packages keep precedence
        assert sys.path.index(str(target)) > 0
        assert importlib.import_module("geopin_probe").ANSWER == 42
        assert deps.missing(required) == []
        assert dialog.install_button.isEnabled()
    finally:
        dialog.close()
        sys.modules.pop("geopin_probe", None)
        if str(target) in sys.path:
            sys.path.remove(str(target))


def test_pip_failure_is_reported_not_raised(qgis_app, tmp_path):
    from geopin.geopin_plugin.gui.install_dialog import InstallDependenciesDialog

    requirements = tmp_path / "requirements.txt"
    requirements.write_text("geopin-package-that-does-not-exist==0.0.1\n")
    dialog = InstallDependenciesDialog(
        requirements_file=str(requirements), target=str(tmp_path / "t"),
        required={"geopin_nonexistent": "geopin-package-that-does-not-exist"}, pip_args=["--no-index"],
    )
    try:
        ok = run_dialog(dialog)
        assert ok is False and dialog.succeeded is False
        # one plain sentence, the package named; pip's own words stay in the log
        assert dialog.status.text().startswith("There is no ready-made package (wheel) of "
                                               "geopin-package-that-does-not-exist for this QGIS")
        assert "No matching distribution" in dialog.log_view.toPlainText()
    finally:
        dialog.close()


def test_constraints_keep_qgis_numpy():
    from geopin.geopin_plugin import constraints

    import numpy

    lines = constraints.constraints()
    assert f"numpy=={numpy.__version__}" in lines
    assert all("==" in line for line in lines)


def test_online_install_checks_the_index_says_the_size_then_installs(qgis_app, tmp_path, monkeypatch):
    """The index is a local folder here (--find-links): pip plans with --dry-run, the
    dialog names the packages and their size, and the second click installs."""
    from geopin.geopin_plugin import deps, pip_plan
    from geopin.geopin_plugin.gui.install_dialog import InstallDependenciesDialog

    wheels = tmp_path / "wheels"
    wheels.mkdir()
    wheel = make_wheel(wheels)
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("geopin_probe==0.1\n")
    target = tmp_path / "python-packages"
    required = {"geopin_probe": "geopin-probe"}
    monkeypatch.setattr(pip_plan, "index_reachable", lambda *a, **k: True)
    dialog = InstallDependenciesDialog(requirements_file=str(requirements), target=str(target), required=required,
                                       pip_args=["--no-index", "--find-links", str(wheels)], plan_first=True,
                                       proxy_url="")
    try:
        finished = []
        dialog.installFinished.connect(finished.append)
        dialog.install_button.click()
        deadline = time.monotonic() + 120
        while dialog.planned is None and not finished and time.monotonic() < deadline:
            QCoreApplication.processEvents()
            time.sleep(0.02)
        assert dialog.planned == [("geopin_probe", "0.1", wheel.stat().st_size)], dialog.log_view.toPlainText()
        assert "--only-binary :all:" in dialog.log_view.toPlainText() and "--dry-run" in dialog.log_view.toPlainText()
        assert "pip will download 1 packages" in dialog.status.text()
        assert not (target / "geopin_probe").exists()  # planning installs nothing
        assert run_dialog(dialog), dialog.log_view.toPlainText()
        assert (target / "geopin_probe" / "__init__.py").is_file()
        assert deps.missing(required) == []
    finally:
        dialog.close()
        sys.modules.pop("geopin_probe", None)
        if str(target) in sys.path:
            sys.path.remove(str(target))


def test_offline_without_a_folder_says_so_in_one_sentence_and_a_folder_of_wheels_installs(qgis_app, tmp_path,
                                                                                          monkeypatch):
    from geopin.geopin_plugin import pip_plan
    from geopin.geopin_plugin.gui.install_dialog import InstallDependenciesDialog

    requirements = tmp_path / "requirements.txt"
    requirements.write_text("geopin_probe==0.1\n")
    target = tmp_path / "python-packages"
    monkeypatch.setattr(pip_plan, "index_reachable", lambda *a, **k: False)
    dialog = InstallDependenciesDialog(requirements_file=str(requirements), target=str(target),
                                       required={"geopin_probe": "geopin-probe"}, proxy_url="")
    try:
        finished = []
        dialog.installFinished.connect(finished.append)
        dialog.install_button.click()
        assert finished == [False] and dialog.process is None  # pip never started
        assert dialog.status.text().startswith("GeoPin could not reach the Python package index")
        assert "proxy" in dialog.status.text() and "folder of wheel files" in dialog.status.text()
        wheels = tmp_path / "wheels"
        wheels.mkdir()
        make_wheel(wheels)
        dialog.succeeded = None
        finished.clear()
        dialog.choose_wheel_folder(str(wheels))
        deadline = time.monotonic() + 120
        while not finished and time.monotonic() < deadline:
            QCoreApplication.processEvents()
            time.sleep(0.02)
        assert finished == [True], dialog.log_view.toPlainText()
        assert f"--no-index --find-links {wheels}" in dialog.log_view.toPlainText()
    finally:
        dialog.close()
        sys.modules.pop("geopin_probe", None)
        if str(target) in sys.path:
            sys.path.remove(str(target))


def test_qgis_proxy_reaches_pip_and_failures_read_as_one_sentence():
    from geopin.geopin_plugin import pip_plan

    settings = {"proxy/proxyEnabled": "true", "proxy/proxyType": "HttpProxy", "proxy/proxyHost": "proxy.example",
                "proxy/proxyPort": "3128", "proxy/proxyUser": "me", "proxy/proxyPassword": "p@ss"}

    class Settings:
        def value(self, key, default=None):
            return settings.get(key, default)

    assert pip_plan.qgis_proxy_url(Settings()) == "http://me:p%40ss@proxy.example:3128"
    assert pip_plan.proxy_environment("http://x:1")["HTTPS_PROXY"] == "http://x:1"
    settings["proxy/proxyType"] = "DefaultProxy"  # the system's: pip reads it from the environment itself
    assert pip_plan.qgis_proxy_url(Settings()) == ""
    offline = ("WARNING: Retrying (Retry(total=0, connect=None)) after connection broken by "
               "'NewConnectionError(...: Failed to establish a new connection: [Errno -3] Temporary failure "
               "in name resolution')': /simple/onnxruntime/\nERROR: Could not find a version that satisfies the "
               "requirement onnxruntime==1.32.0 (from versions: none)\n")
    assert pip_plan.explain_failure(offline, 1).startswith("GeoPin could not reach the Python package index")
    assert "no ready-made package (wheel) of hnswlib" in pip_plan.explain_failure(
        "ERROR: No matching distribution found for hnswlib==0.8.0", 1)
    assert "folder of wheels has no wheel of onnxruntime" in pip_plan.explain_failure(
        "ERROR: Could not find a version that satisfies the requirement onnxruntime==1.32.0", 1, "/w")
    assert pip_plan.explain_failure("OSError: [Errno 28] No space left on device", 1).startswith("The disk is full")
    assert "\n" not in pip_plan.explain_failure("something else", 2)
