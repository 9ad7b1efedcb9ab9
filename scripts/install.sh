# Sourced by scripts/serve and scripts/test: a venv in .venv with the project installed from the
# source tree (a real `pip install .`, so the rules travel inside the wheel as they do in production).
#
# install_project serve  -> what serving needs: Graphviz and a CJK font, the package and its dependencies
# install_project test   -> that, plus Chromium (the review pages' browser tests), nginx (the proxy
#                           configuration's test) and the test extras
#
# Each step runs only when needed: Debian packages only when missing, pip only when pyproject.toml
# or a file the wheel is built from changed since the last install of that kind (or a larger one).

_apt_install() {
  local wanted=()
  command -v dot >/dev/null 2>&1 || wanted+=(graphviz)
  dpkg -s fonts-noto-cjk >/dev/null 2>&1 || wanted+=(fonts-noto-cjk)
  if [ "$1" = test ]; then
    [ -x /usr/bin/chromium ] || wanted+=(chromium)
    [ -x /usr/sbin/nginx ] || wanted+=(nginx-light)  # deploy/nginx.conf is tested in front of the service
  fi
  if [ "${#wanted[@]}" -gt 0 ]; then
    local root=""
    [ "$(id -u)" -eq 0 ] || root="sudo"
    $root apt-get update -qq
    $root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${wanted[@]}"
  fi
}

# A fingerprint of everything a `pip install .` reads: the metadata and the sources of the wheel.
_source_fingerprint() {
  find pyproject.toml README.md kb webapi rules -type f ! -path '*/__pycache__/*' ! -name '*.pyc' -print0 \
    | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1
}

install_project() {
  local kind="$1" spec="." fingerprint
  [ "$kind" = test ] && spec=".[test]"
  _apt_install "$kind"
  PYTHON="${PYTHON:-python3}"
  if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
  fi
  fingerprint="$(_source_fingerprint)"
  # a test install holds everything a serve install does
  if [ -f ".venv/.installed-$kind" ] && [ "$(cat ".venv/.installed-$kind")" = "$fingerprint" ]; then
    return 0
  fi
  if [ "$kind" = serve ] && [ -f .venv/.installed-test ] && [ "$(cat .venv/.installed-test)" = "$fingerprint" ]; then
    return 0
  fi
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet "$spec"
  rm -f .venv/.installed-serve .venv/.installed-test
  echo "$fingerprint" > ".venv/.installed-$kind"
}
