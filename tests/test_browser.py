"""The published site in a real browser: Debian's Chromium driven by Playwright, served on localhost.

Needs /usr/bin/chromium (the CI script installs it). Locally, without it, the test is skipped;
in CI (CI=true) a missing browser is a failure, not a skip.
"""

from __future__ import annotations

import functools
import os
import shutil
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest

from .conftest import run_c2c

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--no-first-run", "--disable-sync", "--disable-quic"]


@pytest.fixture(scope="module")
def served(demo_ws: Path, tmp_path_factory: pytest.TempPathFactory):
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed; .ci/run installs it")
        pytest.skip("chromium is not installed")
    root = tmp_path_factory.mktemp("browser")
    site = root / "site"
    res = run_c2c("publish", "bonn-cape-coast", "lyon-porto-novo", "-w", str(demo_ws), "-o", str(site), "--no-pdf",
                  "-q")
    assert res.returncode == 0, res.stderr
    handler = functools.partial(_Quiet, directory=str(site))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", site, root
    server.shutdown()


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def test_pages_load_without_errors_and_every_link_resolves(served) -> None:
    from playwright.sync_api import sync_playwright

    base, site, root = served
    shots = root / "screenshots"
    shots.mkdir()
    errors: list[str] = []
    failed: list[str] = []
    seen: set[str] = set()
    todo = [urljoin(base, "index.html")]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.on("console", lambda m: errors.append(f"{page.url}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(f"{page.url}: {e}"))
        page.on("requestfailed", lambda r: failed.append(r.url))
        while todo:
            url = todo.pop()
            if url in seen:
                continue
            seen.add(url)
            if not url.endswith(".html"):  # data files download; check they are served
                assert page.request.get(url).status == 200, url
                continue
            resp = page.goto(url)
            assert resp is not None and resp.status == 200, url
            # Every page has one h1, table headers and a text alternative for every chart.
            assert page.locator("h1").count() == 1, url
            assert page.locator("svg[role=img]:not(:has(title))").count() == 0, url
            name = urlparse(url).path.strip("/").replace("/", "_")
            page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
            for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"):
                href = href.split("#")[0]
                if href.startswith(base) and href not in seen:
                    todo.append(href)
        browser.close()
    assert errors == []
    assert failed == []
    visited = {urlparse(u).path for u in seen}
    assert {"/index.html", "/methodology.html", "/vintages.html", "/partnerships/bonn-cape-coast.html",
            "/data/indicators.csv", "/datapackage.json"} <= visited
    # Broken links would have failed above; the site also opens from the file system (relative links only).
    for p in site.rglob("*.html"):
        text = p.read_text(encoding="utf-8")
        assert 'href="/' not in text and "http://" not in text.replace("http://www.w3.org/2000/svg", ""), p
    assert len(list(shots.glob("*.png"))) >= 5
