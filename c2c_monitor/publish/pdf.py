"""HTML -> PDF with WeasyPrint, offline and with the package's own fonts.

WeasyPrint lays out print CSS (@page sizes, running footers, page breaks) from
the same Jinja templates as the HTML, with no browser process. Its fetcher is
replaced by one that only reads files under the package's font folder and the
output folder, so a URL in a partnership's text can never make it go online,
and the DejaVu fonts shipped in `c2c_monitor/fonts` make every machine lay the
page out the same way.

The PDFs are tagged (PDF/UA-1: a structure tree of headings, tables, lists and paragraphs, the page's
language and title), so that a screen reader reads them in order and tables keep their headers; the
Chromium engine tags its PDFs too (pdf_chromium.PRINT).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from c2c_monitor.store.atomic import replacing

FONT_DIR = Path(__file__).resolve().parent.parent / "fonts"
# `c2c publish --pdf-engine`: auto takes a local Chromium when there is one (pdf_chromium.py), else WeasyPrint.
PDF_ENGINES = ("auto", "chromium", "weasyprint")

FONT_FACES = "\n".join(
    f'@font-face {{ font-family: "C2C Sans"; src: url("{(FONT_DIR / file).as_uri()}"); '
    f"font-weight: {weight}; font-style: {style}; }}"
    for file, weight, style in (("DejaVuSans.ttf", "normal", "normal"), ("DejaVuSans-Bold.ttf", "bold", "normal"),
                                ("DejaVuSans-Oblique.ttf", "normal", "italic"))
)


class OfflineFetchError(Exception):
    pass


def _fetcher(roots: list[Path]) -> object:
    from weasyprint.urls import URLFetcher

    allowed = [r.resolve() for r in roots]

    class LocalOnly(URLFetcher):
        def fetch(self, url: str, headers: object = None) -> object:
            parsed = urlparse(url)
            if parsed.scheme == "data":
                return super().fetch(url, headers)
            if parsed.scheme != "file":
                raise OfflineFetchError(f"refused to fetch {url!r}: PDFs are rendered offline")
            path = Path(unquote(parsed.path)).resolve()
            if not any(path.is_relative_to(r) for r in allowed):
                raise OfflineFetchError(f"refused to read {path}: outside the fonts and output folders")
            return super().fetch(url, headers)

    return LocalOnly(allowed_protocols=["file", "data"])


def write_pdf(html: str, out: Path, base_dir: Path | None = None, readable: Path | None = None) -> Path:
    """Render `html` to `out` atomically (written beside it, then renamed).

    Relative links resolve against `base_dir`; only files under `readable` (default: `base_dir`) and the
    package's fonts may be read.
    """
    doc = lay_out(html, base_dir or out.parent, readable)
    with replacing(out) as tmp:
        doc.write_pdf(tmp, **PDF_OPTIONS)
    return out


# WeasyPrint's "pdf/ua-1" variant turns pdf_tags on and writes the PDF/UA identification.
PDF_OPTIONS = {"pdf_variant": "pdf/ua-1"}


def lay_out(html: str, base_dir: Path, readable: Path | None = None) -> Any:
    """The laid-out pages (a WeasyPrint Document) that write_pdf prints: tests inspect its boxes to find
    text cut off at a box edge, which the PDF's extracted text cannot show (clipped text is still in it)."""
    import logging

    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    # WeasyPrint reports unsupported CSS through logging; a user sees our messages, not its.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    base = base_dir.resolve()
    fonts = FontConfiguration()
    fetch = _fetcher([FONT_DIR, (readable or base).resolve()])
    css = CSS(string=FONT_FACES + '\nbody { font-family: "C2C Sans", sans-serif; }', font_config=fonts,
              url_fetcher=fetch)
    doc = HTML(string=html, base_url=base.as_uri() + "/", url_fetcher=fetch)
    return doc.render(font_config=fonts, stylesheets=[css], **PDF_OPTIONS)
