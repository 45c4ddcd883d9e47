"""The printed worksheets in French and Portuguese: every question in full on its principle's page.

French and Portuguese questions run 10-20 % longer than the English ones; a question that no longer fits
its row would move to the next page or be cut off. The PDF's own text (what pypdf extracts, NFKC) is
compared with the catalogue, page by page, so a spilled or clipped question fails, and the letters English
lacks (œ, ç, ã, õ) must come out of the PDF as themselves, not as boxes or look-alikes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from .conftest import pdf_text

PID = "bonn-cape-coast"


def _flat(text: str) -> str:
    # Line breaks inside a table cell are layout, not text; the engine may break after a "/" with no space
    # ("RNV/\nRLV"), so whitespace is dropped, not collapsed. A cut question still misses its letters.
    return "".join(text.split())


@dataclass
class Sheets:
    lang: str
    pdf: Any  # pypdf.PdfReader of the printed worksheets
    texts: list[str]  # each page's extracted text (NFKC)
    layout: Any  # the same HTML laid out by the same engine (weasyprint Document), for box geometry


@pytest.fixture(scope="module", params=["fr", "pt"])
def worksheets(request: pytest.FixtureRequest, demo_ws: Path, tmp_path_factory: pytest.TempPathFactory) -> Sheets:
    """The worksheets PDF only (the kit's other PDFs are not needed here), through the kit's own writer."""
    from pypdf import PdfReader

    from c2c_monitor.publish.kit import kit_html
    from c2c_monitor.publish.pdf import PDF_OPTIONS, lay_out
    from c2c_monitor.store.workspace import open_workspace

    lang = request.param
    with open_workspace(demo_ws) as ws:
        html = dict(kit_html(ws, PID, langs=[lang]))["worksheets"]
    folder = tmp_path_factory.mktemp(f"sheets-{lang}")
    # What write_pdf does, keeping the laid-out document: one layout serves the PDF and the geometry test.
    layout = lay_out(html, folder)
    layout.write_pdf(folder / "worksheets.pdf", **PDF_OPTIONS)
    pdf = PdfReader(folder / "worksheets.pdf")
    return Sheets(lang, pdf, [pdf_text(page) for page in pdf.pages], layout)


def test_every_question_is_printed_in_full_on_its_principles_page(worksheets: Sheets) -> None:
    from c2c_monitor.definitions.principles import load_framework

    lang = worksheets.lang
    fw = load_framework()
    assert len(worksheets.texts) == len(fw.principles)  # one sheet per principle: nothing spilled over
    for page_text, p in zip(worksheets.texts, fw.principles, strict=True):
        text = _flat(page_text)
        assert _flat(p.title.get(lang)) in text
        for q in p.questions:
            question, help_text = _flat(q.text.get(lang)), _flat(q.help.get(lang))
            assert question != _flat(q.text.get("en")), f"{q.id} is not translated to {lang}"
            assert question in text, f"{lang} {q.id}: question not printed in full on page of {p.id}"
            assert help_text in text, f"{lang} {q.id}: help text not printed in full on page of {p.id}"


def test_no_text_is_cut_at_a_box_edge(worksheets: Sheets) -> None:
    """Clipped text is still in a PDF's text layer, so the geometry is checked on the laid-out boxes: every
    line of text lies inside the page's printable area and inside every box that clips (overflow not
    visible) around it."""
    from weasyprint.formatting_structure.boxes import MarginBox, TextBox

    Rect = tuple[float, float, float, float]
    cut: list[str] = []

    def inside(r: Rect, clip: Rect) -> bool:
        return r[0] >= clip[0] - .5 and r[1] >= clip[1] - .5 and r[2] <= clip[2] + .5 and r[3] <= clip[3] + .5

    def walk(box: Any, clips: list[Rect], n: int) -> None:
        if isinstance(box, TextBox) and box.text.strip():
            r = (box.position_x, box.position_y, box.position_x + box.width, box.position_y + box.height)
            if not all(inside(r, c) for c in clips):
                cut.append(f"page {n}: {box.text!r}")
            return
        if box.style["overflow"] != "visible":
            x, y = box.padding_box_x(), box.padding_box_y()
            clips = [*clips, (x, y, x + box.padding_width(), y + box.padding_height())]
        for child in box.all_children():
            walk(child, clips, n)

    pages = worksheets.layout.pages
    assert len(pages) == len(worksheets.texts)
    for n, page in enumerate(pages, 1):
        root = page._page_box  # noqa: SLF001 (WeasyPrint keeps the page's box tree here)
        area = (root.content_box_x(), root.content_box_y(), root.content_box_x() + root.width,
                root.content_box_y() + root.height)
        for child in root.children:
            if not isinstance(child, MarginBox):  # the footer is laid out in the page margin on purpose
                walk(child, [area], n)
    assert not cut, f"{worksheets.lang}: text cut at a box edge: {cut[:5]}"


@pytest.mark.parametrize("letters", [{"fr": "œçéèêàâ", "pt": "ãõçéêáí"}])
def test_letters_english_lacks_survive_into_the_pdf(worksheets: Sheets, letters: dict[str, str]) -> None:
    from c2c_monitor.definitions.principles import load_framework

    lang = worksheets.lang
    fw = load_framework()
    source = "".join(p.title.get(lang) + p.summary.get(lang)
                     + "".join(q.text.get(lang) + q.help.get(lang) for q in p.questions) for p in fw.principles)
    printed = "".join(worksheets.texts)
    wanted = letters[lang]
    assert set(wanted) <= set(source)  # the catalogue has them, so the check below is not vacuous
    for ch in wanted:
        assert printed.count(ch) >= source.count(ch) > 0, f"{lang}: {ch!r} lost between catalogue and PDF"
