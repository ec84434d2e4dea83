#!/usr/bin/env bash
# The main job: set up, then `vidsift run` (embedded, no broker, no S3) on the sample videos.
# Uses ../shared/testdata/videos when present; otherwise makes a small sample with ffmpeg.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
out=${OUT:-out/sample}
inputs=../shared/testdata/videos
if [[ ! -d $inputs ]]; then
  inputs=out/generated-sample
  .venv/bin/vidsift sample "$inputs"
fi
# Two processes by default: decoding and optical flow are mostly single-threaded per source.
# --resume makes the command safe to run again (finished clips are skipped).
exec .venv/bin/vidsift run "$inputs" --out "$out" --workers "${WORKERS:-2}" --resume "$@"
