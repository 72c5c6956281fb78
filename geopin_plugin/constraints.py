"""Print pip constraints that pin the packages QGIS itself brings (numpy, scipy,
pyproj, matplotlib, Pillow) to the versions this interpreter already has, so a pip
install never replaces them. Used by the Makefile and by the in-QGIS installer."""
import sys
from importlib import metadata

PINNED = ("numpy", "scipy", "pyproj", "matplotlib", "pillow", "GDAL", "PyQt5")


def constraints():
    lines = []
    for name in PINNED:
        try:
            lines.append(f"{name}=={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            continue
    return lines


if __name__ == "__main__":
    sys.stdout.write("\n".join(constraints()) + "\n")
