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
        assert "pip failed (exit code 1)" in dialog.status.text()
        assert "No matching distribution" in dialog.log_view.toPlainText()
    finally:
        dialog.close()


def test_constraints_keep_qgis_numpy():
    from geopin.geopin_plugin import constraints

    import numpy

    lines = constraints.constraints()
    assert f"numpy=={numpy.__version__}" in lines
    assert all("==" in line for line in lines)
