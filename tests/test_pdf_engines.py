"""The two PDF engines of `c2c publish`: Chromium over the DevTools pipe (when installed) and WeasyPrint.

Chromium tests need Debian's chromium (the CI script installs it): skipped locally without it,
a failure in CI.
"""

from __future__ import annotations

import functools
import os
import stat
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from .conftest import XSS, pdf_text, run_c2c
from .test_publish import _texts
from .test_workshop import MARK


def _need_chromium() -> str:
    from c2c_monitor.publish.pdf_chromium import find_chromium

    exe = find_chromium()
    if not exe:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed; .ci/run installs it")
        pytest.skip("chromium is not installed")
    return exe


class _Recorder(SimpleHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/css")
        self.end_headers()
        self.wfile.write(b"h1 { color: red }")

    def log_message(self, *args: object) -> None:
        pass


def test_chromium_never_fetches_anything_but_the_allowed_files(tmp_path: Path) -> None:
    from c2c_monitor.publish.pdf_chromium import print_pdfs

    _need_chromium()
    _Recorder.hits = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Recorder))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    allowed = tmp_path / "site"
    allowed.mkdir()
    (tmp_path / "secret.css").write_text("h1 { color: green }")
    page = allowed / "page.html"
    page.write_text(f"""<!doctype html><html><head><meta charset="utf-8">
<link rel="stylesheet" href="http://127.0.0.1:{port}/remote.css">
<link rel="stylesheet" href="../secret.css"></head>
<body><h1>Offline page</h1><img src="http://127.0.0.1:{port}/pixel.png" alt="x">
<iframe src="http://127.0.0.1:{port}/frame.html"></iframe></body></html>""", encoding="utf-8")
    out = allowed / "page.pdf"
    try:
        assert print_pdfs([(page, out)], [allowed]) == 1
    finally:
        server.shutdown()
    assert _Recorder.hits == []  # the local server saw no request at all
    assert out.read_bytes().startswith(b"%PDF")
    from pypdf import PdfReader

    assert "Offline page" in pdf_text(PdfReader(out).pages[0])


def test_chromium_names_a_page_it_cannot_open(tmp_path: Path) -> None:
    from c2c_monitor.publish.pdf_chromium import ChromiumError, print_pdfs

    _need_chromium()
    with pytest.raises(ChromiumError, match="missing.html"):
        print_pdfs([(tmp_path / "missing.html", tmp_path / "missing.pdf")], [tmp_path])
    assert not list(tmp_path.glob("*.pdf")) and not list(tmp_path.glob(".*tmp*"))


def _broken_browser(tmp_path: Path) -> Path:
    """A 'chromium' that dies at once with a message, as a broken install would."""
    exe = tmp_path / "fake-chromium"
    exe.write_text("#!/bin/sh\necho 'fake-chromium: cannot open display' >&2\nexit 1\n")
    exe.chmod(exe.stat().st_mode | stat.S_IEXEC)
    return exe


def test_a_broken_chromium_fails_clearly_or_falls_back(demo_ws: Path, tmp_path: Path) -> None:
    env = {"C2C_CHROMIUM": str(_broken_browser(tmp_path))}
    out = tmp_path / "site"
    res = run_c2c("publish", "bonn-cape-coast", "-w", str(demo_ws), "-o", str(out), "--pdf-engine", "chromium",
                  "-q", env=env)
    assert res.returncode == 2
    assert "Chromium stopped" in res.stderr and "cannot open display" in res.stderr
    assert "Traceback" not in res.stderr
    assert not out.exists() and not list(tmp_path.glob(".site.*"))  # nothing half-made is left
    # auto: the same broken browser, and the site is still published, by WeasyPrint, with a note saying so.
    res = run_c2c("publish", "bonn-cape-coast", "-w", str(demo_ws), "-o", str(out), "-q", env=env)
    assert res.returncode == 0, res.stderr
    assert "note: Chromium failed" in res.stderr and "(weasyprint)" in res.stderr
    assert (out / "pdf" / "bonn-cape-coast.pdf").read_bytes().startswith(b"%PDF")


def test_no_chromium_means_weasyprint_unless_chromium_is_asked_for(demo_ws: Path, tmp_path: Path) -> None:
    env = {"C2C_CHROMIUM": ""}  # as on a machine without a browser
    res = run_c2c("publish", "bonn-cape-coast", "-w", str(demo_ws), "-o", str(tmp_path / "a"), "-q", env=env)
    assert res.returncode == 0 and "1 PDF(s) (weasyprint)" in res.stderr, res.stderr
    res = run_c2c("publish", "bonn-cape-coast", "-w", str(demo_ws), "-o", str(tmp_path / "b"), "-q",
                  "--pdf-engine", "chromium", env=env)
    assert res.returncode == 2 and "no Chromium found" in res.stderr
    assert not (tmp_path / "b").exists()


@pytest.fixture(scope="module")
def weasy_site(hostile: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    ws, _ = hostile
    site = tmp_path_factory.mktemp("weasy") / "site"
    res = run_c2c("publish", "bonn-cape-coast", "-w", str(ws), "-o", str(site), "-q", "--pdf-engine", "weasyprint")
    assert res.returncode == 0 and "(weasyprint)" in res.stderr, res.stderr
    return site


@pytest.fixture(scope="module")
def chromium_site(hostile: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    _need_chromium()
    ws, _ = hostile
    site = tmp_path_factory.mktemp("chromium") / "site"
    res = run_c2c("publish", "bonn-cape-coast", "-w", str(ws), "-o", str(site), "-q", "--pdf-engine", "chromium")
    assert res.returncode == 0 and "(chromium)" in res.stderr, res.stderr
    return site


@pytest.mark.parametrize("engine", ["weasy_site", "chromium_site"])
def test_both_engines_keep_secrets_and_print_names_as_text(engine: str, request: pytest.FixtureRequest) -> None:
    site: Path = request.getfixturevalue(engine)
    pdf = site / "pdf" / "bonn-cape-coast.pdf"
    text = _texts(site)[pdf]
    assert MARK not in text
    assert XSS in text  # the hostile name, literally
    # Both engines lay out the same page: the same sections, in the same order, with A4 pages.
    from pypdf import PdfReader

    reader = PdfReader(pdf)
    assert all(round(float(p.mediabox.width)) == 595 and round(float(p.mediabox.height)) == 842
               for p in reader.pages)
    flat = " ".join(text.split())  # pdf_text has split the ligatures already
    # The PDF is the council summary (publish/council.py), not the web page printed.
    sections = ["Principle profile", "In brief", "Strongest principles", "Weakest principles",
                "Overdue and high-priority actions", "The full report"]
    positions = [flat.find(s) for s in sections]
    assert -1 not in positions and positions == sorted(positions), positions


def test_the_engines_make_the_same_pages_with_the_same_fonts(weasy_site: Path, chromium_site: Path) -> None:
    from pypdf import PdfReader

    def fonts(pdf: Path) -> set[str]:
        names = set()
        for page in PdfReader(pdf).pages:
            for f in (page.get("/Resources") or {}).get("/Font", {}).values():
                names.add(str(f.get_object().get("/BaseFont")).split("+")[-1])
        return names

    w, c = (fonts(s / "pdf" / "bonn-cape-coast.pdf") for s in (weasy_site, chromium_site))
    # The shipped DejaVu fonts (WeasyPrint names them by their @font-face family), never another face.
    assert w and c and all("DejaVu" in n or n.startswith("C2C-Sans") for n in w | c), (w, c)


def test_a_publish_killed_while_chromium_prints_leaves_no_browser_and_no_leftovers(hostile, tmp_path) -> None:
    import signal
    import subprocess
    import sys
    import time

    _need_chromium()
    ws, _ = hostile
    out = tmp_path / "site"
    with (tmp_path / "killed.log").open("w") as err:
        proc = subprocess.Popen([sys.executable, "-m", "c2c_monitor.cli", "publish", "-w", str(ws), "-o", str(out),
                                 "-q", "--pdf-engine", "chromium"], stdout=subprocess.DEVNULL, stderr=err)
        deadline = time.monotonic() + 180
        while not list(tmp_path.glob(".site.chromium-*")) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        profile = next(tmp_path.glob(".site.chromium-*"), None)
        assert profile is not None, (tmp_path / "killed.log").read_text()[-500:]
        time.sleep(1.0)
        proc.send_signal(signal.SIGKILL)
        proc.wait()

    def browsers() -> list[str]:
        found = []
        for cmd in Path("/proc").glob("[0-9]*/cmdline"):
            try:
                if str(profile).encode() in cmd.read_bytes():
                    found.append(cmd.parent.name)
            except OSError:
                pass
        return found

    # The browser reads its commands from a pipe whose other end died with the publisher: it exits too.
    deadline = time.monotonic() + 20
    while browsers() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert browsers() == []
    assert not out.exists()
    res = run_c2c("publish", "lyon-porto-novo", "-w", str(ws), "-o", str(out), "--no-pdf", "-q")
    assert res.returncode == 0, res.stderr
    assert not list(tmp_path.glob(".site.*"))  # the killed run's site and browser profile are cleared


@pytest.mark.parametrize("engine", ["weasy_site", "chromium_site"])
def test_both_engines_tag_their_pdfs_for_screen_readers(engine: str, request: pytest.FixtureRequest) -> None:
    """A tagged PDF: marked content, a structure tree with the page's headings and tables, its language."""
    from pypdf import PdfReader

    site: Path = request.getfixturevalue(engine)
    root = PdfReader(site / "pdf" / "bonn-cape-coast.pdf").trailer["/Root"]
    assert bool(root["/MarkInfo"]["/Marked"])
    assert str(root["/Lang"]) == "en"  # the workspace's language, from <html lang>
    roles: set[str] = set()
    todo = [root["/StructTreeRoot"].get_object()]
    while todo and len(roles) < 200:
        node = todo.pop()
        if "/S" in node:
            roles.add(str(node["/S"]))
        kids = node.get("/K")
        kids = kids if isinstance(kids, list) else [kids] if kids is not None else []
        todo.extend(k.get_object() for k in kids if hasattr(k, "get_object") and hasattr(k.get_object(), "get"))
    assert {"/H1", "/Table", "/TH", "/TD"} <= roles, roles
