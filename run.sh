#!/usr/bin/env bash
# The commands a new machine needs (Debian, Python 3.12, node/npm):
#
#   ./run.sh serve [--port N]    set up, build dist/ and serve the app on 127.0.0.1
#   ./run.sh lint                set up and lint: ruff (Python), Biome (JavaScript)
#   ./run.sh unit  [pytest args] set up and run the tests that need no download and no
#                                browser: CPython's (pytest -m "not model and not parity
#                                and not e2e") and Node's (tests/js/*.test.js)
#   ./run.sh test  [pytest args] set up (Chromium included), lint, build, and run every
#                                test: Node's, then the whole pytest suite
#
# Set-up is idempotent: a virtual environment in .venv with the project and its
# dev extra; for the tests, Debian's chromium if /usr/bin/chromium is missing.
# Downloads (Pyodide, the NumPy wheel for it, MNIST) are verified and cached in
# ${XDG_CACHE_HOME:-~/.cache}/mnist-draw by build.py and train/data.py.
set -euo pipefail
cd "$(dirname "$0")"

find_python() {
    for candidate in python3.12 python3 python; do
        if command -v "$candidate" >/dev/null 2>&1 &&
           "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12))' 2>/dev/null; then
            echo "$candidate"; return
        fi
    done
    echo "error: Python 3.12 is needed (Pyodide 0.27.7 runs 3.12); install python3.12" >&2
    exit 1
}

setup_python() {
    if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12))'; then
        rm -rf .venv
        "$(find_python)" -m venv .venv
    fi
    local stamp=.venv/.installed
    if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
        .venv/bin/python -m pip install --quiet --upgrade pip
        .venv/bin/python -m pip install --quiet -e ".[dev]"
        touch "$stamp"
    fi
}

setup_chromium() {
    if [ -x /usr/bin/chromium ]; then return; fi
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "installing Debian's chromium for the browser tests ..."
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
}

# Biome and Node are given only the folders and files that exist (tests/js may not yet).
lint() {    # both linters always run; fails if either finds a problem
    local status=0 folders=()
    .venv/bin/ruff check . || status=$?
    for folder in web tests/js; do [ -d "$folder" ] && folders+=("$folder"); done
    .venv/bin/biome lint "${folders[@]}" || status=$?
    return "$status"
}

node_tests() {
    local files=(tests/js/*.test.js)
    if [ ! -e "${files[0]}" ]; then
        echo "no JavaScript tests (tests/js/*.test.js)"; return
    fi
    node --test "${files[@]}"    # the files themselves: Node 20 reads no glob, Node 22 no folder
}

command="${1:-}"
shift || true
case "$command" in
    serve)
        setup_python
        exec .venv/bin/python build.py serve "$@"
        ;;
    lint)
        setup_python
        lint
        ;;
    unit)
        setup_python
        node_tests
        exec .venv/bin/python -m pytest -m "not model and not parity and not e2e" "$@"
        ;;
    test)
        setup_python
        setup_chromium
        linted=0
        lint || { linted=$?; echo "lint found problems (above); the tests run all the same" >&2; }
        .venv/bin/python build.py
        node_tests
        tested=0
        .venv/bin/python -m pytest "$@" || tested=$?    # last, so its summary is the closing line
        [ "$tested" -ne 0 ] && exit "$tested"
        exit "$linted"
        ;;
    *)
        echo "usage: ./run.sh serve [--port N] | ./run.sh lint | ./run.sh unit [pytest args]" \
             "| ./run.sh test [pytest args]" >&2
        exit 2
        ;;
esac
