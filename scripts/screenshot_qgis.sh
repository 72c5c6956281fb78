#!/usr/bin/env bash
# Screenshot of real QGIS desktop with the GeoPin dock open, interface in Dutch.
#
#   scripts/screenshot_qgis.sh [output.png] [locale]    (make screenshot)
#
# Starts Xvfb, then QGIS with a fresh private profile under build/screenshot-config
# (never your own), this checkout's plugin enabled (QGIS_PLUGINPATH=build/plugins),
# the venv's packages importable and the locale set (default nl). A start-up Python
# file (--code) opens the GeoPin dock and writes a marker when QGIS is idle;
# ImageMagick's `import -window root` then grabs the screen.
# Default output: build/screenshots/qgis-geopin-nl.png
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOCALE="${2:-nl}"
OUT="${1:-$REPO/build/screenshots/qgis-geopin-$LOCALE.png}"
WORK="$REPO/build/screenshot-config"
QGIS_BIN="${QGIS_BIN:-/usr/bin/qgis}"
SIZE="${SCREEN_SIZE:-1600x1000}"

for tool in Xvfb import "$QGIS_BIN"; do
  command -v "$tool" >/dev/null || { echo "missing $tool (make setup installs xvfb, imagemagick, qgis)" >&2; exit 127; }
done

# Compiled translations as `make translations` builds them (needed for Dutch).
if command -v lrelease >/dev/null; then
  for ts in "$REPO"/i18n/*.ts; do lrelease -silent "$ts" -qm "${ts%.ts}.qm"; done
fi

rm -rf "$WORK"
mkdir -p "$WORK/profiles/default/QGIS" "$REPO/build/plugins" "$(dirname "$OUT")"
[ -e "$REPO/build/plugins/geopin" ] || ln -sfn ../.. "$REPO/build/plugins/geopin"
cat > "$WORK/profiles/default/QGIS/QGIS3.ini" <<EOF
[PythonPlugins]
geopin=true

[locale]
overrideFlag=true
userLocale=$LOCALE
globalLocale=$LOCALE

[qgis]
checkVersion=false
showTips322=false
EOF

READY="$WORK/ready"
cat > "$WORK/startup.py" <<EOF
import traceback
from qgis.PyQt.QtCore import QTimer
from qgis.PyQt.QtWidgets import QApplication
from qgis.utils import iface, plugins


def open_dock():
    try:
        window = iface.mainWindow()
        window.setGeometry(0, 0, ${SIZE%x*}, ${SIZE#*x})
        window.showMaximized()
        plugin = plugins["geopin"]
        plugin.toggle_action.setChecked(True)
        plugin.dock.raise_()
        from qgis.PyQt.QtWidgets import QAbstractButton, QLabel
        texts = [w.text() for w in plugin.dock.findChildren((QAbstractButton, QLabel)) if w.text()]
        status = "ok dock=%r title=%r texts=%r" % (plugin.dock.isVisible(), plugin.dock.windowTitle(), texts)
    except Exception:
        status = "error\n" + traceback.format_exc()
    QApplication.processEvents()
    QTimer.singleShot(3000, lambda: open("$READY", "w").write(status))


QTimer.singleShot(2000, open_dock)
EOF

# A free X display, chosen by Xvfb itself.
exec 3> "$WORK/display"
Xvfb -displayfd 3 -screen 0 "${SIZE}x24" -nolisten tcp >"$WORK/xvfb.log" 2>&1 &
XVFB_PID=$!
QGIS_PID=""
cleanup() {
  [ -n "$QGIS_PID" ] && kill "$QGIS_PID" 2>/dev/null || true
  kill "$XVFB_PID" 2>/dev/null || true
}
trap cleanup EXIT
# Xvfb writes its display number when it is ready: on a loaded machine that took over
# the 5 s once allowed, and QGIS then aborted on DISPLAY=":" (a failed CI run)
for _ in $(seq 300); do [ -s "$WORK/display" ] && break; sleep 0.1; done
if [ ! -s "$WORK/display" ]; then
  echo "Xvfb did not start within 30 s; its log:" >&2
  cat "$WORK/xvfb.log" >&2
  exit 1
fi
export DISPLAY=":$(head -n1 "$WORK/display")"

SITE=""
for d in "$REPO"/.venv/lib/python3*/site-packages; do [ -d "$d" ] && SITE="$d"; done
[ -n "$SITE" ] && export PYTHONPATH="$SITE${PYTHONPATH:+:$PYTHONPATH}"
export QGIS_PLUGINPATH="$REPO/build/plugins"
export XDG_RUNTIME_DIR="$WORK/runtime" && mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
export LANG="${LOCALE}_NL.UTF-8" LC_ALL=C.UTF-8
unset QT_QPA_PLATFORM

"$QGIS_BIN" --profiles-path "$WORK" --lang "$LOCALE" --nologo --noversioncheck \
  --code "$WORK/startup.py" >"$WORK/qgis.log" 2>&1 &
QGIS_PID=$!

for _ in $(seq 240); do
  [ -s "$READY" ] && break
  kill -0 "$QGIS_PID" 2>/dev/null || { echo "QGIS exited early; see $WORK/qgis.log" >&2; tail -20 "$WORK/qgis.log" >&2; exit 1; }
  sleep 0.5
done
[ -s "$READY" ] || { echo "QGIS did not get ready in 120 s; see $WORK/qgis.log" >&2; exit 1; }
if ! grep -q '^ok dock=True' "$READY"; then
  echo "could not open the GeoPin dock:" >&2; cat "$READY" >&2; exit 1
fi
import -window root "$OUT"
echo "$OUT ($(cat "$READY"))"
