#!/usr/bin/env python3
"""Does requirements/runtime.txt install from wheels alone on every platform QGIS runs on?

For each target (Windows win_amd64, macOS 14 arm64 and x86_64, Linux manylinux
x86_64, each with Python 3.9, 3.12 and 3.13) the requirement lines are first
evaluated for that target (pip evaluates environment markers against the running
interpreter, not against --platform/--python-version), then pip resolves them with
their dependencies, --only-binary :all:, from the package index. `--dry-run` with
PyPI's metadata files does the same resolution as `pip download` without fetching
~100 MB of wheels per target.

    python3 scripts/check_wheels.py [--requirements FILE] [--target win_amd64-3.13 ...]

Exit 0 when every target resolves, 1 when one does not, 2 when the index cannot be
reached (tests/test_wheels.py skips with that message).
"""
import argparse
import json
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

try:
    from packaging.markers import Marker
    from packaging.requirements import Requirement
except ImportError:  # Debian's python3 has pip's vendored copy
    from pip._vendor.packaging.markers import Marker  # noqa: F401
    from pip._vendor.packaging.requirements import Requirement

REPO = Path(__file__).resolve().parents[1]
RUNTIME = REPO / "requirements" / "runtime.txt"
INDEX = "https://pypi.org/simple/"
PYTHONS = ("3.9", "3.12", "3.13")
# pip --platform tags per platform (several: a wheel may carry an older manylinux/macOS tag)
PLATFORMS = {
    "win_amd64": (["win_amd64"], {"sys_platform": "win32", "platform_system": "Windows",
                                  "platform_machine": "AMD64", "os_name": "nt"}),
    "macosx_arm64": (["macosx_14_0_arm64"], {"sys_platform": "darwin", "platform_system": "Darwin",
                                              "platform_machine": "arm64", "os_name": "posix"}),
    "macosx_x86_64": (["macosx_14_0_x86_64"], {"sys_platform": "darwin", "platform_system": "Darwin",
                                                "platform_machine": "x86_64", "os_name": "posix"}),
    "manylinux_x86_64": (["manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64"],
                         {"sys_platform": "linux", "platform_system": "Linux",
                          "platform_machine": "x86_64", "os_name": "posix"}),
}


def targets():
    return [(plat, py) for plat in PLATFORMS for py in PYTHONS]


def marker_environment(platform, python):
    env = dict(PLATFORMS[platform][1])
    env.update(python_version=python, python_full_version=python + ".0", implementation_name="cpython",
               platform_python_implementation="CPython", implementation_version=python + ".0")
    return env


def requirements_for(platform, python, path=RUNTIME):
    """The requirement lines of `path` that apply to the target, markers removed."""
    env = marker_environment(platform, python)
    out = []
    for line in Path(path).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        req = Requirement(line)
        if req.marker is None or req.marker.evaluate(env):
            out.append(f"{req.name}{req.specifier}")
    return out


def index_reachable(index=INDEX, timeout=10):
    try:
        with urllib.request.urlopen(index + "pip/", timeout=timeout) as response:
            return response.status == 200
    except OSError:
        return False


def resolve(platform, python, path=RUNTIME, pip=(sys.executable, "-m", "pip")):
    """(ok, {name: (version, wheel file)} or pip's error tail)."""
    reqs = requirements_for(platform, python, path)
    tags = [a for tag in PLATFORMS[platform][0] for a in ("--platform", tag)]
    with tempfile.TemporaryDirectory(prefix="geopin-wheels-") as tmp:
        req_file = Path(tmp) / "requirements.txt"
        req_file.write_text("\n".join(reqs) + "\n")
        cmd = [*pip, "install", "--dry-run", "--ignore-installed", "--disable-pip-version-check", "--quiet",
               "--only-binary", ":all:", *tags, "--python-version", python, "--implementation", "cp",
               "--target", str(Path(tmp) / "t"), "--report", str(Path(tmp) / "report.json"), "-r", str(req_file)]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        if proc.returncode != 0:
            return False, (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        report = json.loads((Path(tmp) / "report.json").read_text())
    return True, {item["metadata"]["name"].lower(): (item["metadata"]["version"],
                                                     item["download_info"]["url"].rsplit("/", 1)[-1])
                  for item in report["install"]}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--requirements", type=Path, default=RUNTIME)
    ap.add_argument("--target", action="append", help="platform-python, e.g. win_amd64-3.13 (default: all nine)")
    args = ap.parse_args(argv)
    if not index_reachable():
        print(f"{INDEX} cannot be reached: the wheel check needs the package index")
        return 2
    chosen = [tuple(t.rsplit("-", 1)) for t in args.target] if args.target else targets()
    failed = 0
    for platform, python in chosen:
        ok, result = resolve(platform, python, args.requirements)
        if ok:
            wheels = ", ".join(f"{n} {v}" for n, (v, _f) in sorted(result.items())
                               if n in ("onnxruntime", "opencv-python-headless", "faiss-cpu"))
            print(f"ok    {platform:17s} Python {python:5s} {wheels}")
        else:
            failed += 1
            print(f"FAIL  {platform:17s} Python {python:5s} " + " | ".join(result))
    print(f"{len(chosen) - failed} of {len(chosen)} targets resolve from wheels only")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
