# Sourced by scripts/serve and scripts/test: a venv in .venv with the project installed from the
# source tree (a real `pip install .`, so the rules travel inside the wheel as they do in production).
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet ".[test]"
