#!/usr/bin/env bash
# Set up vidsift on a fresh Debian machine with Python 3.11: system packages, a virtualenv in .venv,
# and the `vidsift` command at .venv/bin/vidsift. Idempotent; `--test` adds what the tests need.
set -euo pipefail
cd "$(dirname "$0")/.."
want_test=0; [[ "${1:-}" == "--test" ]] && want_test=1

SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
need_apt=()
command -v ffmpeg >/dev/null || need_apt+=(ffmpeg)
[[ $want_test == 1 ]] && ! command -v promtool >/dev/null && need_apt+=(prometheus)
# Debian's chromium: tests/test_report_browser.py opens the report in it (playwright drives it; no browser download).
[[ $want_test == 1 ]] && ! command -v chromium >/dev/null && need_apt+=(chromium)
if [[ ${#need_apt[@]} -gt 0 ]]; then
  echo "[setup] apt-get install ${need_apt[*]}"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

PY=${PYTHON:-python3.11}; command -v "$PY" >/dev/null || PY=python3
[[ -x .venv/bin/python ]] || "$PY" -m venv .venv
stamp=.venv/.vidsift-installed$want_test
if [[ ! -f $stamp || pyproject.toml -nt $stamp ]]; then
  echo "[setup] installing Python packages into .venv"
  .venv/bin/pip install -q --upgrade pip
  extras="splitter,resizer,scorer,captioner,analyze,export"
  if [[ $want_test == 1 ]]; then
    # The CPU build of torch lies on this kind of machine's disk; pin it so pip does not fetch CUDA.
    .venv/bin/pip install -q "torch==2.13.0" || .venv/bin/pip install -q torch --index-url https://download.pytorch.org/whl/cpu
    extras="$extras,hf,test"
  fi
  .venv/bin/pip install -q -e ".[$extras]"
  touch "$stamp"
fi
