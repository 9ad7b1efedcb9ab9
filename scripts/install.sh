# Sourced by scripts/serve and scripts/test: a venv in .venv with the project installed from the
# source tree (a real `pip install .`, so the rules travel inside the wheel as they do in production).
#
# install_project serve  -> what serving needs: Graphviz and a CJK font, the package and its dependencies
# install_project test   -> that, plus Chromium (the review pages' browser tests), nginx (the proxy
#                           configuration's test) and the test extras
#
# Each step runs only when needed: Debian packages only when missing, pip only when pyproject.toml
# or a file the wheel is built from changed since the last install of that kind (or a larger one).
#
# Run as root, the installer also creates the system account `overdue-advisor` (no home, no login
# shell) when missing: the service started as root switches to it (webapi/account.py). That account
# must be able to run the venv's Python, so as root .venv is made with the first of `python3` and
# /usr/bin/python3 whose standard library it can read (not a Python under /root, such as root's
# pyenv), and made again when the account cannot read the one it has.
#
# Debian's Python makes a venv only with python3-venv (ensurepip), which a fresh Debian 12 with
# python3 lacks: it is installed too when the Python that makes .venv has no ensurepip. And
# durable-rules is published as source only, compiled by pip: gcc and Python's headers
# (libpython3-dev) are installed too when missing, before pip runs.

_apt_install() {
  local wanted=()
  command -v dot >/dev/null 2>&1 || wanted+=(graphviz)
  dpkg -s fonts-noto-cjk >/dev/null 2>&1 || wanted+=(fonts-noto-cjk)
  if [ "$1" = test ]; then
    [ -x /usr/bin/chromium ] || wanted+=(chromium)
    [ -x /usr/sbin/nginx ] || wanted+=(nginx-light)  # deploy/nginx.conf is tested in front of the service
  fi
  if [ "${#wanted[@]}" -gt 0 ]; then
    _apt_get "${wanted[@]}"
  fi
}

_apt_get() {
  local root=""
  [ "$(id -u)" -eq 0 ] || root="sudo"
  $root apt-get update -qq
  $root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
}

# the Debian packages missing to compile a C extension (durable-rules) for the Python PROGRAM
_build_packages() {
  local include
  command -v cc >/dev/null 2>&1 || echo gcc
  include="$("$1" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')"
  [ -f "$include/Python.h" ] || echo libpython3-dev
}

# python3-venv when the Python PROGRAM cannot put pip into a venv (Debian's without that package)
_venv_package() {
  "$1" -c 'import ensurepip' >/dev/null 2>&1 || echo python3-venv
}

_service_account() {
  [ "$(id -u)" -eq 0 ] || return 0
  [ "${OVERDUE_ADVISOR_USER:-overdue-advisor}" = overdue-advisor ] || return 0  # another account chosen
  getent passwd overdue-advisor >/dev/null && return 0
  useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
    --comment "overdue-advisor service" overdue-advisor
}

# whether the service account can read the standard library of the Python PROGRAM (as the program
# itself may start without it and fall back on another one's)
_account_reads_python() {
  local name="${OVERDUE_ADVISOR_USER:-overdue-advisor}" uid gid stdlib
  uid="$(id -u "$name" 2>/dev/null)" && gid="$(id -g "$name")" || return 1
  stdlib="$("$1" -c 'import os; print(os.path.dirname(os.__file__))' 2>/dev/null)" || return 1
  setpriv --reuid="$uid" --regid="$gid" --init-groups -- test -r "$stdlib/os.py"
}

# the Python to make .venv with: $PYTHON when given, else python3, or as root one the account runs
_venv_python() {
  local candidate
  if [ -n "${PYTHON:-}" ] || [ "$(id -u)" -ne 0 ]; then
    echo "${PYTHON:-python3}"
    return 0
  fi
  for candidate in "$(command -v python3 || true)" /usr/bin/python3; do
    if [ -n "$candidate" ] && _account_reads_python "$candidate"; then
      echo "$candidate"
      return 0
    fi
  done
  echo python3  # none: serve names the folder the account cannot read
}

# A fingerprint of everything a `pip install .` reads: the metadata and the sources of the wheel.
_source_fingerprint() {
  find pyproject.toml README.md kb webapi rules -type f ! -path '*/__pycache__/*' ! -name '*.pyc' -print0 \
    | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1
}

install_project() {
  local kind="$1" spec="." fingerprint python missing
  [ "$kind" = test ] && spec=".[test]"
  _apt_install "$kind"
  _service_account
  if [ -x .venv/bin/python ] && [ "$(id -u)" -eq 0 ] && [ -z "${PYTHON:-}" ] \
    && ! _account_reads_python .venv/bin/python; then
    echo "install: the service account cannot read the Python of .venv ($(readlink -f .venv/bin/python));" \
      "making .venv again" >&2
    rm -rf .venv
  fi
  if [ ! -x .venv/bin/python ]; then
    python="$(_venv_python)"
    [ -z "$(_venv_package "$python")" ] || _apt_get python3-venv
    "$python" -m venv .venv
  fi
  fingerprint="$(_source_fingerprint)"
  # a test install holds everything a serve install does
  if [ -f ".venv/.installed-$kind" ] && [ "$(cat ".venv/.installed-$kind")" = "$fingerprint" ]; then
    return 0
  fi
  if [ "$kind" = serve ] && [ -f .venv/.installed-test ] && [ "$(cat .venv/.installed-test)" = "$fingerprint" ]; then
    return 0
  fi
  missing="$(_build_packages .venv/bin/python)"
  [ -z "$missing" ] || _apt_get $missing  # word splitting intended: one package a line
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet "$spec"
  rm -f .venv/.installed-serve .venv/.installed-test
  echo "$fingerprint" > ".venv/.installed-$kind"
}
