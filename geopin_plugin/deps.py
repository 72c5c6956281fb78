"""Python dependencies inside QGIS: a cheap check at start-up (find_spec, no import)
and the folder outside the plugin where "Install dependencies…" puts them."""
import importlib.util
import os
import sys

# import name -> pip requirement name (versions pinned in requirements/runtime.txt)
REQUIRED = {
    "onnxruntime": "onnxruntime",
    "cv2": "opencv-python-headless",
}
# The vector index: either library serves (engine/index: hnswlib 0.8 in a checkout,
# faiss's HNSW in QGIS); faiss-cpu is named when neither is there (it has wheels for
# every platform and Python, and the compressed index of large databases needs it).
INDEX_LIBRARIES = {"hnswlib": "hnswlib", "faiss": "faiss-cpu"}
INDEX_PIP = "faiss-cpu"
# Packages QGIS itself brings (Debian: python3-* packages; OSGeo4W and the macOS
# bundle ship them). Checked as well, but never pip-installed by GeoPin: a pip numpy
# or pyproj (with its own PROJ) would clash with QGIS's own.
FROM_QGIS = {
    "numpy": "numpy",
    "scipy": "scipy",
    "pyproj": "pyproj",
    "PIL": "Pillow",
    "osgeo": "GDAL",
}
DEBIAN_PACKAGES = {"numpy": "python3-numpy", "scipy": "python3-scipy", "pyproj": "python3-pyproj",
                   "Pillow": "python3-pil", "GDAL": "python3-gdal"}
PLUGIN_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REQUIREMENTS_FILE = os.path.join(PLUGIN_ROOT, "requirements", "runtime.txt")


def deps_dir():
    """Where pip installs GeoPin's packages: in the QGIS profile, beside (not inside)
    the plugins folder, so updating the plugin keeps them. GEOPIN_DEPS_DIR overrides."""
    override = os.environ.get("GEOPIN_DEPS_DIR")
    if override:
        return override
    from qgis.core import QgsApplication

    return os.path.join(QgsApplication.qgisSettingsDirPath(), "geopin", "python-packages")


def add_deps_dir_to_path(path=None):
    path = path or deps_dir()
    if os.path.isdir(path) and path not in sys.path:
        sys.path.append(path)  # appended: QGIS's own numpy/PROJ keep precedence
    importlib.invalidate_caches()
    return path


def _found(module):
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a broken package (half-installed, __spec__ None)
        return False


def missing(required=None):
    """Pip names of required packages that cannot be found (nothing is imported);
    by default GeoPin's own (REQUIRED, an index library) and those QGIS should bring
    (FROM_QGIS)."""
    if required is None:
        out = missing({**REQUIRED, **FROM_QGIS})
        return out + ([] if any(_found(m) for m in INDEX_LIBRARIES) else [INDEX_PIP])
    return [pip for mod, pip in required.items() if not _found(mod)]


def missing_message(names):
    """A user-facing sentence: what is missing and how to install it."""
    from .i18n import tr

    ours = [n for n in names if n not in FROM_QGIS.values()]
    qgis = [n for n in names if n in FROM_QGIS.values()]
    parts = [tr("GeoPin is missing Python packages: {0}.").format(", ".join(names))]
    if ours:
        parts.append(tr("Install {0} from the menu Plugins ▸ GeoPin ▸ Install dependencies…, or with pip "
                        "into QGIS's Python (see the GeoPin README).").format(", ".join(ours)))
    if qgis:
        parts.append(tr("{0} normally come with QGIS: reinstall QGIS with them (OSGeo4W: the python3-* "
                        "packages) or, on Debian/Ubuntu, run: sudo apt install {1}").format(
            ", ".join(qgis), " ".join(DEBIAN_PACKAGES.get(n, n) for n in qgis)))
    return " ".join(parts)


class PythonNotFound(RuntimeError):
    """QGIS's own interpreter could not be found (pip must never run with another one)."""


def interpreter_candidates():
    """Where QGIS's own Python can be: sys.executable when it is a python (Linux, a venv),
    else beside the prefixes (OSGeo4W: apps/Python3x/python.exe; macOS: bin/python3.x).
    Never a bare "python3" from PATH: that may be pyenv, conda or another install."""
    exe = sys.executable or ""
    out = [exe] if os.path.basename(exe).lower().startswith("python") else []
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    for prefix in dict.fromkeys((sys.exec_prefix, sys.base_exec_prefix)):
        out += [os.path.join(prefix, "python.exe"), os.path.join(prefix, "python3.exe"),
                os.path.join(prefix, "bin", f"python{version}"), os.path.join(prefix, "bin", "python3")]
    return [c for c in dict.fromkeys(out) if c and os.path.isfile(c)]


PROBE = "import sys; print('%d.%d.%d' % sys.version_info[:3]); print(sys.base_exec_prefix)"


def is_same_python(exe, timeout=30):
    """Whether `exe` is the interpreter running QGIS: same version, same installation."""
    import subprocess

    try:
        proc = subprocess.run([exe, "-c", PROBE], capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.SubprocessError):
        return False
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or len(lines) != 2:
        return False
    version = "%d.%d.%d" % sys.version_info[:3]
    return lines[0] == version and os.path.realpath(lines[1]) == os.path.realpath(sys.base_exec_prefix)


def python_executable():
    """QGIS's own interpreter, checked to be the same Python before pip runs with it."""
    for candidate in interpreter_candidates():
        if is_same_python(candidate):
            return candidate
    from .i18n import tr

    raise PythonNotFound(tr("Cannot find QGIS's own Python {0} (in {1}); install the packages by hand with "
                            "that interpreter (see the GeoPin README).").format(
        "%d.%d.%d" % sys.version_info[:3], sys.base_exec_prefix))


def pip_command(target, constraints_file, requirements_file=None, extra_args=(), wheel_dir=None, report=None):
    """pip into `target` with QGIS's own interpreter. Wheels only (--only-binary :all:):
    a QGIS user has no compiler, and a package without a wheel must fail with its
    name, not try to build. --target also keeps pip clear of Debian's PEP 668
    "externally managed" guard; the constraints pin whatever QGIS already brings
    (numpy, PROJ...) to its versions, and because the folder is appended to sys.path
    QGIS's own copies keep precedence. `wheel_dir`: install offline from that folder
    of wheel files (--no-index --find-links). `report`: only plan (--dry-run) and
    write pip's JSON report there (what would be downloaded)."""
    from .pip_plan import PIP_NETWORK_ARGS

    source = ["--no-index", "--find-links", wheel_dir] if wheel_dir else list(PIP_NETWORK_ARGS)
    plan = ["--dry-run", "--ignore-installed", "--report", report] if report else []
    return [
        python_executable(), "-m", "pip", "install", "--disable-pip-version-check",
        "--no-input", "--only-binary", ":all:", *source, *plan, "--target", target, "--upgrade",
        "-c", constraints_file, "-r", requirements_file or REQUIREMENTS_FILE, *extra_args,
    ]


def verify_imports(required=None):
    """Import each dependency for real; returns {pip name: error message} for failures
    (by default REQUIRED plus one index library that imports)."""
    if required is None:
        errors = verify_imports(REQUIRED)
        index_errors = verify_imports(INDEX_LIBRARIES)
        if len(index_errors) == len(INDEX_LIBRARIES):
            errors[INDEX_PIP] = index_errors.get(INDEX_PIP, "")
        return errors
    errors = {}
    for mod, pip in required.items():
        try:
            importlib.import_module(mod)
        except Exception as exc:  # report every failure, not only ImportError
            errors[pip] = f"{type(exc).__name__}: {exc}"
    return errors
