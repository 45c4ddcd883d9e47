"""Every reader: no page scrolls sideways on a phone, and axe-core finds nothing serious.

Debian's Chromium driven by Playwright (as in test_browser.py) opens every page of a published demo site
and the standalone `c2c assess --format html` and `c2c compare --format html` pages at 320 px (the
narrowest phones), 390 px (a common phone) and 1280 px (a laptop). A page fails when
`document.documentElement.scrollWidth > window.innerWidth`: the page itself, not a table inside its own
scroll box, is wider than the screen. axe-core (vendored in tests/vendor/axe-core, so no network) runs on
every page at 390 and 1280 px; a serious or critical violation fails.

Screenshots of every page at 390 and 1280 px are kept in the test's temporary folder (printed on failure).
Locally without Chromium the tests are skipped; in CI (CI=true) that is a failure.
"""

from __future__ import annotations

import functools
import os
import shutil
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from .conftest import run_c2c

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--no-first-run", "--disable-sync", "--disable-quic"]
AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
WIDTHS = (320, 390, 1280)
AUDITED = (390, 1280)  # axe at a phone's and a laptop's width (contrast and layout rules differ)
# A partnership with stakeholder groups and follow-up actions (the widest tables), and one without actions.
PUBLISHED = ["bonn-cape-coast", "milan-dakar"]
SIDE_BY_SIDE = ["bonn-cape-coast", "lisbon-praia", "milan-dakar", "graz-mekelle", "krakow-lviv", "nantes-agadir"]

# The element sticking out furthest past the right edge, to name the culprit when a page overflows.
WIDEST = """() => {
  let worst = null, right = window.innerWidth;
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.right > right + 0.5) { right = r.right; worst = el; }
  }
  return worst ? `${worst.tagName.toLowerCase()}.${worst.className} reaches ${Math.round(right)} px` : '';
}"""


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def pages(demo_ws: Path, tmp_path_factory: pytest.TempPathFactory):
    """(base URL, page paths, screenshot folder): a published site plus the assess and compare HTML pages."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed; .ci/run installs it")
        pytest.skip("chromium is not installed")
    root = tmp_path_factory.mktemp("responsive")
    site = root / "site"
    res = run_c2c("publish", *PUBLISHED, "-w", str(demo_ws), "-o", str(site), "--no-pdf", "-q")
    assert res.returncode == 0, res.stderr
    local = site / "local"  # served beside the site, not part of it
    local.mkdir()
    for args, name in [
        (["assess", "bonn-cape-coast", "--list", "long"], "assess-long.html"),
        (["assess", "milan-dakar"], "assess-simplified.html"),
        (["compare", "bonn-cape-coast"], "compare-over-time.html"),
        (["compare", *SIDE_BY_SIDE], "compare-side-by-side.html"),
    ]:
        res = run_c2c(*args, "-w", str(demo_ws), "--format", "html", "-o", str(local / name))
        assert res.returncode == 0, res.stderr
    paths = sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html"))
    assert len(paths) >= 10, paths  # index, methodology, vintages, data/README, 2 partnerships, 4 local
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    shots = root / "screenshots"
    shots.mkdir()
    yield f"http://127.0.0.1:{server.server_address[1]}/", paths, shots
    server.shutdown()


@pytest.fixture(scope="module")
def browser(pages):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_no_page_is_wider_than_the_screen(pages, browser, width: int) -> None:
    base, paths, shots = pages
    page = browser.new_page(viewport={"width": width, "height": 800})
    wide: list[str] = []
    scrolled_tables = 0
    for path in paths:
        page.goto(base + path)
        sizes = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        if sizes[0] > sizes[1]:
            wide.append(f"{path} at {width} px: page {sizes[0]} px wide ({page.evaluate(WIDEST)})")
        scrolled_tables += page.evaluate(
            "() => [...document.querySelectorAll('.table-wrap')].filter(e => e.scrollWidth > e.clientWidth).length")
        if width in AUDITED:
            page.screenshot(path=str(shots / f"{width}-{path.replace('/', '_')}.png"), full_page=True)
    page.close()
    assert wide == [], f"screenshots in {shots}"
    if width == 320:
        # The check is not vacuous: some tables are wider than a phone, and scroll inside their own box.
        assert scrolled_tables > 0


def test_axe_finds_no_serious_or_critical_violation(pages, browser) -> None:
    base, paths, _ = pages
    script = AXE.read_text(encoding="utf-8")
    assert "axe v4." in script[:40]
    found: list[str] = []
    for width in AUDITED:
        page = browser.new_page(viewport={"width": width, "height": 800})
        for path in paths:
            page.goto(base + path)
            page.add_script_tag(content=script)
            result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
            assert result["passes"] is not None and result["testEngine"]["name"] == "axe-core"
            for v in result["violations"]:
                if v["impact"] in ("serious", "critical"):
                    targets = ", ".join(str(n["target"]) for n in v["nodes"][:3])
                    found.append(f"{path} at {width} px: {v['id']} ({v['impact']}) {v['help']}: {targets}")
        page.close()
    assert found == []


def test_the_print_stylesheet_lays_tables_out_whole_on_a4(pages, browser) -> None:
    """On paper nothing scrolls: the scroll boxes open up, the navigation goes, and the page is A4."""
    base, _, _ = pages
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(base + "partnerships/bonn-cape-coast.html")
    page.emulate_media(media="print")
    assert page.evaluate("() => getComputedStyle(document.querySelector('.table-wrap')).overflowX") == "visible"
    assert page.evaluate("() => getComputedStyle(document.querySelector('header.site')).display") == "none"
    sheet_rules = page.evaluate("""() => [...document.styleSheets].flatMap(s => [...s.cssRules])
        .filter(r => r.media && [...r.media].includes('print'))
        .flatMap(r => [...r.cssRules]).map(r => r.cssText).join('\\n')""")
    assert "size: a4" in sheet_rules.lower()
    pdf = page.pdf(prefer_css_page_size=True)
    from io import BytesIO

    from pypdf import PdfReader

    box = PdfReader(BytesIO(pdf)).pages[0].mediabox
    # A4 is 210 x 297 mm = 595 x 842 pt.
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)
    page.close()


@pytest.fixture(scope="module")
def four_languages(demo_ws: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One partnership's page published in the four languages (a French or Portuguese header or principle title is
    longer than the English)."""
    site = tmp_path_factory.mktemp("languages") / "site"
    res = run_c2c("publish", "bonn-cape-coast", "-w", str(demo_ws), "-o", str(site), "--no-pdf", "-q",
                  "--lang", "en,fr,es,pt")
    assert res.returncode == 0, res.stderr
    return site


# Each label of the principle chart (11-unit text) against the bars: the rectangles outside the hatch pattern all
# start at the chart's left margin (the legend's first swatch too). [where the bars start, labels that reach them]
LABELS_CLEAR_OF_BARS = """() => {
  const svg = document.querySelector('svg.chart');
  const bars = [...svg.querySelectorAll('rect')].filter(r => !r.closest('pattern'));
  const left = Math.min(...bars.map(r => r.getBoundingClientRect().left));
  return [left, [...svg.querySelectorAll('text[font-size="11"]')]
    .filter(t => t.getBoundingClientRect().right > left - 3)  // at least 3 px between a title and its bars
    .map(t => `${t.textContent} ends at ${Math.round(t.getBoundingClientRect().right)}, bars at ${Math.round(left)}`)];
}"""


@pytest.mark.parametrize("lang", ["en", "fr", "es", "pt"])
def test_on_a_laptop_the_principles_table_fits_and_the_chart_labels_clear_their_bars(
        four_languages: Path, browser, lang: str) -> None:
    """At 1280 px the principles table shows every column without scrolling (its number headers wrap between
    words), and no principle title of the chart runs into its bars, in each language."""
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    prefix = "" if lang == "en" else f"{lang}/"
    page.goto((four_languages / f"{prefix}partnerships/bonn-cape-coast.html").as_uri())
    scroll = page.evaluate("() => { const e = document.querySelector('.table-wrap'); "
                           "return [e.scrollWidth, e.clientWidth]; }")
    bars_left, overlaps = page.evaluate(LABELS_CLEAR_OF_BARS)
    page.close()
    assert scroll[0] <= scroll[1], f"the principles table is {scroll[0]} px wide in a {scroll[1]} px box"
    assert 100 < bars_left < 640  # the bars were found (the chart's left margin, at this page's scale)
    assert overlaps == []
