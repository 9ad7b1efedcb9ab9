# Sourced by scripts/serve and scripts/test: a venv in .venv with the project installed from the
# source tree (a real `pip install .`, so the rules travel inside the wheel as they do in production).

# Debian packages: Graphviz (the `dot` that draws the diagrams), a CJK font (so Chinese labels are
# not boxes) and Chromium (the review pages' browser tests). Installed only when missing, so a
# repeated run costs nothing.
_debs=()
command -v dot >/dev/null 2>&1 || _debs+=(graphviz)
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || _debs+=(fonts-noto-cjk)
[ -x /usr/bin/chromium ] || _debs+=(chromium)
if [ "${#_debs[@]}" -gt 0 ]; then
  _root=""
  [ "$(id -u)" -eq 0 ] || _root="sudo"
  $_root apt-get update -qq
  $_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${_debs[@]}"
fi
unset _debs _root

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet ".[test]"
