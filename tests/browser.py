"""A page opened in Debian's headless Chromium (scripts/setup.sh --test installs it; playwright drives it).

``load_page`` opens a file from disk as a reader would, waits until it is quiet, takes a full-page
screenshot and returns what the tests assert on: console errors, failed requests, every image's
natural size and every video's source and metadata.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

CHROMIUM_NAMES = ("chromium", "chromium-browser")


def chromium() -> str:
    """The system Chromium, or a skip that says how to get it (CI installs it, so CI never skips)."""
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            break
    else:
        pytest.skip("no chromium on PATH: run scripts/setup.sh --test (apt-get install chromium)")
    pytest.importorskip("playwright.sync_api", reason="playwright is in the test extra: pip install -e '.[test]'")
    return path


@dataclass
class Page:
    errors: list[str]  # console errors and uncaught exceptions
    failed: list[str]  # requests that failed (a missing image or video), with why
    images: list[dict]  # src, naturalWidth, gallery (inside a .gallery)
    videos: list[dict]  # src, poster, and after loading its metadata: videoWidth, error
    texts: dict[str, str]  # innerText of the elements with these ids
    screenshot: Path


def load_page(path: Path, screenshot: Path, ids: tuple[str, ...] = ()) -> Page:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium(), args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1300, "height": 900})
            errors, failed = [], []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            # A media element aborts and restarts its own requests (ERR_ABORTED); a missing file is an error.
            page.on("requestfailed", lambda r: None if "ERR_ABORTED" in (r.failure or "") else
                    failed.append(f"{r.url}: {r.failure}"))
            page.goto(path.resolve().as_uri())
            # Lazy images load when scrolled to: bring each into view, then wait for the network.
            page.evaluate("document.querySelectorAll('img').forEach(i => { i.loading = 'eager'; })")
            page.wait_for_load_state("networkidle")
            page.wait_for_function("[...document.images].every(i => i.complete)", timeout=30_000)
            images = page.evaluate("""[...document.images].map(i => ({src: i.getAttribute('src'),
                naturalWidth: i.naturalWidth, gallery: !!i.closest('.gallery')}))""")
            videos = page.evaluate("""async () => Promise.all([...document.querySelectorAll('video')].map(v =>
                new Promise(done => {
                  const out = () => done({src: v.getAttribute('src'), poster: v.getAttribute('poster'),
                                          videoWidth: v.videoWidth, error: v.error && v.error.code});
                  v.addEventListener('loadedmetadata', out, {once: true});
                  v.addEventListener('error', out, {once: true});
                  v.preload = 'metadata'; v.load();
                  setTimeout(out, 15000);
                })))""")
            texts = {i: page.inner_text(f"#{i}") for i in ids}
            page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()
    return Page(errors, failed, images, videos, texts, screenshot)


def png_size(path: Path) -> tuple[int, int]:
    """(width, height) from a PNG's header; fails on anything that is not a PNG."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
