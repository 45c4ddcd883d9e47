"""HTML files -> PDF with a local Chromium, when one is installed: about five times faster than WeasyPrint.

Chromium is not a dependency: `c2c publish` uses it only if it finds one (or is
told to), and WeasyPrint stays the engine that always works. The browser is
driven over the DevTools protocol on a pipe (`--remote-debugging-pipe`: it reads
NUL-terminated JSON on fd 3 and writes on fd 4), so there is no port, no
websocket library and no Playwright at run time.

Offline: the browser is started without background networking, component
updates or a first-run, and every request a page makes is intercepted
(`Fetch`): only `file:` URLs under the allowed folders go through; anything
else fails, so a page can never make the browser go online. The pages use the
fonts shipped in `c2c_monitor/fonts` through `@font-face`, and printing waits
for them.
"""

from __future__ import annotations

import base64
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from c2c_monitor.errors import C2CError
from c2c_monitor.store.atomic import replacing

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
# The print settings: the pages' own @page size and margins, backgrounds (status colours), a tagged PDF
# (structure for screen readers) with an outline from the headings.
PRINT = {"printBackground": True, "preferCSSPageSize": True, "generateTaggedPDF": True,
         "generateDocumentOutline": True}
FLAGS = ["--headless", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--disable-sync",
         "--mute-audio", "--disable-features=Translate,MediaRouter,OptimizationHints", "--remote-debugging-pipe"]


class ChromiumError(C2CError):
    pass


def find_chromium() -> str | None:
    """`C2C_CHROMIUM` if set (empty: never use one), else the first Chromium/Chrome on PATH."""
    env = os.environ.get("C2C_CHROMIUM")
    if env is not None:
        return shutil.which(env) if env else None
    return next((p for p in map(shutil.which, CANDIDATES) if p), None)


@dataclass
class _Tab:
    session: str
    job: tuple[Path, Path] | None = None
    started: float = 0.0
    step: str = "idle"


@dataclass
class Browser:
    """One headless browser; `print_files` prints many pages through a few tabs at once."""

    allowed: list[Path]
    executable: str | None = None
    profile: Path | None = None  # the browser's profile folder (default: a temporary one); removed at the end
    timeout: float = 120.0
    _proc: subprocess.Popen[bytes] | None = None
    _out: Any = None
    _in: Any = None
    _buf: bytes = b""
    _next_id: int = 0
    _profile: str = ""
    _events: deque[dict[str, Any]] = field(default_factory=deque)

    def __enter__(self) -> Browser:
        exe = self.executable or find_chromium()
        if not exe:
            raise ChromiumError("no Chromium found", hint="install Debian's chromium, or use --pdf-engine weasyprint")
        self.allowed = [p.resolve() for p in self.allowed]
        if self.profile:
            self.profile.mkdir(parents=True, exist_ok=True)
            self._profile = str(self.profile)
        else:
            self._profile = tempfile.mkdtemp(prefix="c2c-chromium-")
        to_child, from_us = os.pipe()
        to_us, from_child = os.pipe()

        def fds() -> None:  # runs in the child: the protocol's fixed descriptors
            os.dup2(to_child, 3)
            os.dup2(from_child, 4)

        args = [exe, *FLAGS, f"--user-data-dir={self._profile}", "about:blank"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            args.insert(1, "--no-sandbox")  # Chromium refuses to start its sandbox as root
        try:
            self._proc = subprocess.Popen(args, pass_fds=(3, 4), preexec_fn=fds, stdin=subprocess.DEVNULL,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        except OSError as e:
            shutil.rmtree(self._profile, ignore_errors=True)
            raise ChromiumError(f"could not start {exe}: {e.strerror}") from e
        finally:
            os.close(to_child)
            os.close(from_child)
        self._out = os.fdopen(from_us, "wb", buffering=0)
        self._in = os.fdopen(to_us, "rb", buffering=0)
        try:
            self.call("Browser.getVersion")
        except ChromiumError:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        if self._proc is not None:
            try:
                self._send("Browser.close")
                self._proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired, ChromiumError):
                self._proc.kill()
                self._proc.wait()
            if self._proc.stderr:
                self._proc.stderr.close()
            self._proc = None
        for f in (self._out, self._in):
            if f is not None:
                f.close()
        self._out = self._in = None
        shutil.rmtree(self._profile, ignore_errors=True)

    # --- protocol -------------------------------------------------------------------------------------------
    def _send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> int:
        self._next_id += 1
        msg: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        try:
            self._out.write(json.dumps(msg).encode() + b"\0")
        except (BrokenPipeError, AttributeError) as e:
            raise self._died() from e
        return self._next_id

    def _died(self) -> ChromiumError:
        err = b""
        if self._proc is not None:
            try:
                self._proc.wait(timeout=3)  # its pipe closed: it is exiting, and its last words say why
                err = self._proc.stderr.read()[-2000:] if self._proc.stderr else b""
            except subprocess.TimeoutExpired:
                pass
        tail = [ln for ln in err.decode("utf-8", "replace").splitlines() if ln.strip()][-1:]
        return ChromiumError("Chromium stopped" + (f": {tail[0].strip()}" if tail else ""),
                             hint="try --pdf-engine weasyprint")

    def _receive(self, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._in], [], [], left)[0]:
                raise ChromiumError(f"Chromium did not answer within {timeout:.0f}s",
                                    hint="try --pdf-engine weasyprint")
            chunk = self._in.read(1 << 20)
            if not chunk:
                raise self._died()
            self._buf += chunk
        msg, self._buf = self._buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> Any:
        want = self._send(method, params, session)
        while True:
            msg = self._receive(self.timeout)
            if msg.get("id") == want:
                if "error" in msg:
                    raise ChromiumError(f"Chromium refused {method}: {msg['error'].get('message')}")
                return msg.get("result", {})
            if "method" in msg:
                self._events.append(msg)

    # --- printing -------------------------------------------------------------------------------------------
    def _allowed(self, url: str) -> bool:
        parsed = urlparse(url)
        if parsed.scheme in ("data", "about"):
            return True
        if parsed.scheme != "file":
            return False
        path = Path(unquote(parsed.path)).resolve()
        return any(path.is_relative_to(r) for r in self.allowed)

    def _open_tab(self) -> _Tab:
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        self.call("Fetch.enable", {"patterns": [{"urlPattern": "*"}]}, session)
        self.call("Page.enable", session=session)
        return _Tab(session)

    def print_files(self, jobs: Iterable[tuple[Path, Path]], tabs: int = 2) -> int:
        """Print each (html file, pdf path); a PDF is written beside its path and renamed into place."""
        queue = deque((Path(h).resolve(), Path(o)) for h, o in jobs)
        total = len(queue)
        if not total:
            return 0
        pool = {t.session: t for t in (self._open_tab() for _ in range(max(1, min(tabs, total))))}
        waiting: dict[int, _Tab] = {}  # call id -> tab
        done = 0

        def start(tab: _Tab) -> None:
            tab.job, tab.step = (queue.popleft(), "load") if queue else (None, "idle")
            if tab.job:
                tab.started = time.monotonic()
                waiting[self._send("Page.navigate", {"url": tab.job[0].as_uri()}, tab.session)] = tab

        for idle in pool.values():
            start(idle)
        while done < total:
            msg = self._events.popleft() if self._events else self._receive(self.timeout)
            tab = pool.get(msg.get("sessionId", ""))
            method = msg.get("method")
            if method == "Fetch.requestPaused" and tab:
                url = msg["params"]["request"]["url"]
                if self._allowed(url):
                    self._send("Fetch.continueRequest", {"requestId": msg["params"]["requestId"]}, tab.session)
                else:
                    self._send("Fetch.failRequest", {"requestId": msg["params"]["requestId"],
                                                     "errorReason": "BlockedByClient"}, tab.session)
            elif method == "Page.loadEventFired" and tab and tab.step == "load":
                tab.step = "fonts"
                waiting[self._send("Runtime.evaluate", {"expression": "document.fonts.ready.then(() => true)",
                                                        "awaitPromise": True}, tab.session)] = tab
            elif "id" in msg and msg["id"] in waiting:
                tab = waiting.pop(msg["id"])
                if "error" in msg:
                    page = tab.job[0] if tab.job else "?"
                    raise ChromiumError(f"{page}: Chromium could not print it: {msg['error'].get('message')}")
                if tab.step == "load" and msg.get("result", {}).get("errorText"):
                    raise ChromiumError(f"{tab.job[0] if tab.job else '?'}: {msg['result']['errorText']}")
                if tab.step == "fonts":
                    tab.step = "print"
                    waiting[self._send("Page.printToPDF", PRINT, tab.session)] = tab
                elif tab.step == "print" and tab.job:
                    with replacing(tab.job[1]) as tmp:
                        tmp.write_bytes(base64.b64decode(msg["result"]["data"]))
                    done += 1
                    start(tab)
            for t in pool.values():
                if t.job and time.monotonic() - t.started > self.timeout:
                    raise ChromiumError(f"{t.job[0]}: not printed within {self.timeout:.0f}s")
        return done


def print_pdfs(jobs: list[tuple[Path, Path]], allowed: list[Path], tabs: int | None = None,
               executable: str | None = None, profile: Path | None = None) -> int:
    with Browser(allowed, executable, profile) as b:
        return b.print_files(jobs, tabs or max(2, os.cpu_count() or 1))
