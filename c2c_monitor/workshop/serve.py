"""`c2c workshop serve`: the facilitator's laptop as the room's ratings server (Starlette on uvicorn).

Participants join with a code shown on the projector, pick a language and a stakeholder group, and rate
one principle per screen; every screen is journaled (fsync'd) before the phone is answered. The projector
shows counts only, and after "reveal" the principle profile under the disclosure rule (nothing for fewer
than k people). The facilitator's controls sit under a secret path printed only in the terminal; closing
the round stores it like an imported sheet (`sheets.store_ratings`: same tables, one vintage).

The pages are plain HTML forms: no script at all, so the Content-Security-Policy forbids every script and
the pages work with JavaScript off. Nothing is fetched from elsewhere: the stylesheet is served here.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import json
import socket
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from c2c_monitor.definitions.principles import Framework
from c2c_monitor.definitions.records import STAKEHOLDER_GROUPS
from c2c_monitor.score.disclosure import K_MEAN, K_SPREAD, Thresholds
from c2c_monitor.score.ratings import aggregate
from c2c_monitor.workshop.live import pages as P
from c2c_monitor.workshop.live.journal import Journal
from c2c_monitor.workshop.live.security import (
    MAX_BODY,
    MAX_COMMENT,
    AttemptLimiter,
    FormTokens,
    new_join_code,
    new_token,
    normalise_code,
    same,
)
from c2c_monitor.workshop.live.state import RoundState, token_hash

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

COOKIE = "c2c_device"
FACILITATOR_KEY = "facilitator"
CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; "
       "frame-ancestors 'none'")
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),  # the facilitator's secret path never leaves in a Referer
    (b"x-frame-options", b"DENY"),
    (b"cache-control", b"no-store"),
]
STATIC = Path(__file__).resolve().parent / "live" / "templates" / "live.css"


@dataclass(frozen=True)
class LiveConfig:
    root: Path  # the workspace folder (the journal lives in root/live/)
    pid: str
    round_id: str
    partnership: str
    cities: list[tuple[str, str]]
    languages: list[str]
    k: int  # the disclosure threshold: nothing is shown for fewer people
    join_base: str  # http://host:port, as phones reach it
    wait: float = 10.0
    held_on: dt.date | None = None


class BadRequest(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def lan_address() -> str:
    """The address other machines on the room's network reach this one by (no packet is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))  # TEST-NET: connect() on UDP only picks the outgoing interface
            return str(s.getsockname()[0])
        except OSError:
            return "127.0.0.1"


def limit_body(app: ASGIApp, limit: int = MAX_BODY) -> ASGIApp:
    """Read at most `limit` bytes of a request body; a larger one is answered 413 before the app sees it."""

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        declared = dict(scope.get("headers") or []).get(b"content-length")
        too_big = declared is not None and (not declared.isdigit() or int(declared) > limit)
        more = not too_big
        while more:
            msg = await receive()
            if msg["type"] == "http.disconnect":
                return
            chunks.append(msg.get("body", b""))
            size += len(chunks[-1])
            more = msg.get("more_body", False)
            if size > limit:
                too_big = True
                break
        if too_big:
            resp = Response("request too large", status_code=413, media_type="text/plain")
            await resp(scope, receive, send)
            return
        body = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await app(scope, replay, send)

    return wrapped


def secure_headers(app: ASGIApp) -> ASGIApp:
    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with(msg: Message) -> None:
            if msg["type"] == "http.response.start":
                msg["headers"] = [*msg.get("headers", []), *SECURITY_HEADERS]
            await send(msg)

        await app(scope, receive, send_with)

    return wrapped


async def form_of(request: Request) -> dict[str, str]:
    """A urlencoded form, strictly: UTF-8, no repeated field, a bounded number of fields."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype != "application/x-www-form-urlencoded":
        raise BadRequest(415, "forms are sent as application/x-www-form-urlencoded")
    try:
        pairs = parse_qsl((await request.body()).decode("utf-8"), keep_blank_values=True, strict_parsing=False,
                          max_num_fields=100)
    except (UnicodeDecodeError, ValueError):
        raise BadRequest(400, "the form could not be read") from None
    out: dict[str, str] = {}
    for k, v in pairs:
        if k in out:
            raise BadRequest(400, f"field {k[:40]!r} sent twice")
        out[k] = v
    return out


def clean_comment(text: str) -> str | None:
    text = text.replace("\r\n", "\n").strip()
    if len(text) > MAX_COMMENT:
        raise BadRequest(400, f"a comment is at most {MAX_COMMENT} characters")
    if any(ch in "<>" for ch in text) or any(ord(ch) < 32 and ch not in "\n\t" for ch in text):
        raise BadRequest(400, "a comment may not contain < > or control characters")
    return text or None


class LiveServer:
    def __init__(self, cfg: LiveConfig, framework: Framework, journal: Journal, join_code: str | None = None,
                 facilitator_key: str | None = None) -> None:
        self.cfg, self.fw, self.journal = cfg, framework, journal
        self.state = RoundState.load(framework, journal)
        self.join_code = join_code or new_join_code()
        self.facilitator_key = facilitator_key or new_token()
        self.forms = FormTokens()
        self.limiter = AttemptLimiter()
        self._closing = asyncio.Lock()
        self.answers = {str(v) for v in framework.scale.values} | set(framework.scale.special_codes)
        base = f"/f/{self.facilitator_key}"
        routes = [
            Route("/", self.home), Route("/join", self.join_get, methods=["GET"]),
            Route("/join", self.join_post, methods=["POST"]),
            Route("/p/{n:int}", self.principle_get, methods=["GET"]),
            Route("/p/{n:int}", self.principle_post, methods=["POST"]),
            Route("/done", self.done), Route("/projector", self.projector),
            Route("/static/live.css", self.css),
            Route(base, self.facilitator), Route(base + "/{action}", self.facilitator_post, methods=["POST"]),
        ]
        self.starlette = Starlette(routes=routes, exception_handlers={BadRequest: self._bad})  # type: ignore[dict-item]
        self.app: ASGIApp = secure_headers(limit_body(self.starlette))

    @property
    def room_lang(self) -> str:
        """The projector's and facilitator's language: the first of `--lang` (the room's main language)."""
        return self.cfg.languages[0]

    # --- addresses -----------------------------------------------------------------------------------------
    @property
    def join_url(self) -> str:
        return f"{self.cfg.join_base}/join?code={quote(self.join_code)}"

    @property
    def facilitator_url(self) -> str:
        return f"{self.cfg.join_base}/f/{self.facilitator_key}"

    # --- helpers -------------------------------------------------------------------------------------------
    async def _bad(self, request: Request, exc: BadRequest) -> Response:
        return self._page(P.MessagePage(title="Not accepted", message=exc.message, words=P.WORDS["en"],
                                        link="/"), exc.status)

    def _page(self, page: P.LivePage, status: int = 200) -> HTMLResponse:
        return HTMLResponse(P.render(page), status_code=status)

    def _lang(self, lang: str | None) -> str:
        return lang if lang in self.cfg.languages else self.cfg.languages[0]

    def _token(self, request: Request) -> str | None:
        tok = request.cookies.get(COOKIE)
        return tok if tok and 20 <= len(tok) <= 100 else None

    def _check_csrf(self, key: str, form: dict[str, str]) -> None:
        if not self.forms.consume(key, form.get("csrf")):
            raise BadRequest(403, "this form has expired or was already sent: open the page again")

    def _with_cookie(self, resp: Response, token: str) -> Response:
        resp.set_cookie(COOKIE, token, max_age=7 * 24 * 3600, httponly=True, samesite="strict", path="/")
        return resp

    # --- participant pages ---------------------------------------------------------------------------------
    async def home(self, request: Request) -> Response:
        if self.state.device(token_hash(self._token(request) or "")) is None:
            return RedirectResponse("/join", 303)
        return RedirectResponse("/p/1", 303)

    async def join_get(self, request: Request) -> Response:
        token = self._token(request) or new_token()
        device = self.state.device(token_hash(token))
        lang = self._lang(request.query_params.get("lang") or (device.lang if device else None))
        page = P.JoinPage(
            title=P.WORDS[lang]["join"], lang=lang, words=P.WORDS[lang],
            code=normalise_code(request.query_params.get("code", ""))[:20],
            languages=[P.Choice(value=lg, label=P.LANGUAGES[lg]) for lg in self.cfg.languages],
            groups=[P.Choice(value=g, label=g.replace("_", " ")) for g in STAKEHOLDER_GROUPS],
            cities=[P.Choice(value=c, label=n) for c, n in self.cfg.cities],
            group=device.group if device else None, city=device.city if device else None,
            csrf=self.forms.issue(token_hash(token)), joined=device is not None)
        return self._with_cookie(self._page(page), token)

    async def join_post(self, request: Request) -> Response:
        form = await form_of(request)
        token = self._token(request)
        if token is None:
            raise BadRequest(403, "cookies are needed to take part: allow them and open the page again")
        thash = token_hash(token)
        self._check_csrf(thash, form)
        allowed = {"csrf", "code", "lang", "group", "city"}
        if set(form) - allowed:
            raise BadRequest(400, "unknown field in the form")
        lang = form.get("lang", "")
        group = form.get("group") or None
        city = form.get("city") or None
        if lang not in self.cfg.languages:
            raise BadRequest(400, "unknown language")
        if group is not None and group not in STAKEHOLDER_GROUPS:
            raise BadRequest(400, "unknown stakeholder group")
        if city is not None and city not in {c for c, _ in self.cfg.cities}:
            raise BadRequest(400, "not a city of this partnership")
        if self.state.phase == "closed":
            raise BadRequest(409, P.WORDS[lang]["closed"])
        profile = {"device": thash, "lang": lang, "group": group, "city": city}
        if self.state.device(thash) is not None:
            await self.state.record_durably({"t": "profile", **profile})
            return RedirectResponse("/done", 303)
        client = request.client.host if request.client else "?"
        if self.limiter.blocked(client):
            raise BadRequest(429, "too many wrong codes: wait a minute")
        if not same(normalise_code(form.get("code", "")), self.join_code):
            self.limiter.fail(client)
            raise BadRequest(403, "wrong join code: check the projector")
        if thash in self.state.devices:  # removed by the facilitator: that device stays out
            raise BadRequest(403, "this device's submission was removed by the facilitator")
        await self.state.record_durably({"t": "join", "code": self.state.next_code(), **profile})
        return RedirectResponse("/p/1", 303)

    def _participant(self, request: Request) -> tuple[str, Any]:
        thash = token_hash(self._token(request) or "")
        device = self.state.device(thash)
        if device is None:
            raise BadRequest(403, "join the workshop first (scan the code on the projector)")
        return thash, device

    def _principle_page(self, n: int, thash: str, device: Any, saved: bool = False) -> P.PrinciplePage:
        p = self.fw.principles[n - 1]
        lang = device.lang
        return P.PrinciplePage(
            title=p.title.get(lang), lang=lang, words=P.WORDS[lang], index=n, total=len(self.fw.principles),
            principle_id=p.id, principle_title=f"{p.id} {p.title.get(lang)}", summary=p.summary.get(lang),
            questions=[P.QuestionView(id=q.id, text=q.text.get(lang), help=q.help.get(lang),
                                      answer=device.answers.get(q.id, (None, None))[0],
                                      comment=device.answers.get(q.id, (None, None))[1] or "")
                       for q in p.questions],
            scale=[P.Choice(value=str(s.value), label=f"{s.value} · {s.label.get(lang)}")
                   for s in self.fw.scale.numeric]
            + [P.Choice(value=s.code, label=s.label.get(lang)) for s in self.fw.scale.special],
            csrf=self.forms.issue(thash), saved=saved)

    def _phase_gate(self, device: Any) -> Response | None:
        if self.state.phase == "open":
            return None
        key = "closed" if self.state.phase == "closed" else "waiting"
        return self._page(P.MessagePage(title=P.WORDS[device.lang][key], lang=device.lang,
                                        words=P.WORDS[device.lang], message=P.WORDS[device.lang][key],
                                        refresh=10 if key == "waiting" else None), 409 if key == "closed" else 200)

    async def principle_get(self, request: Request) -> Response:
        n = int(request.path_params["n"])
        if not 1 <= n <= len(self.fw.principles):
            raise BadRequest(404, "no such page")
        thash, device = self._participant(request)
        gate = self._phase_gate(device)
        if gate is not None:
            return gate
        return self._page(self._principle_page(n, thash, device, saved=request.query_params.get("saved") == "1"))

    async def principle_post(self, request: Request) -> Response:
        n = int(request.path_params["n"])
        if not 1 <= n <= len(self.fw.principles):
            raise BadRequest(404, "no such page")
        form = await form_of(request)
        thash, device = self._participant(request)
        self._check_csrf(thash, form)
        if self.state.phase != "open":
            raise BadRequest(409, "the round is not open for answers")
        p = self.fw.principles[n - 1]
        qids = [q.id for q in p.questions]
        allowed = {"csrf", "go"} | {f"q_{q}" for q in qids} | {f"c_{q}" for q in qids}
        unknown = sorted(set(form) - allowed)
        if unknown:
            raise BadRequest(400, f"unknown field {unknown[0][:40]!r}: not a question of this principle")
        if form.get("go", "next") not in ("next", "back"):
            raise BadRequest(400, "unknown navigation")
        changes: list[tuple[str, str | None, str | None]] = []
        for q in qids:
            if f"q_{q}" not in form and f"c_{q}" not in form:
                continue  # not on this form (an older page): leave the stored answer as it is
            answer = form.get(f"q_{q}", "").strip().lower() or None
            if answer is not None and answer not in self.answers:
                raise BadRequest(400, f"{q}: {answer[:10]!r} is not on the scale")
            comment = clean_comment(form.get(f"c_{q}", ""))
            if comment is not None and answer is None:
                raise BadRequest(400, f"{q}: a comment needs an answer (or \"don't know\")")
            if device.answers.get(q) != ((answer, comment) if answer else None):
                changes.append((q, answer, comment))
        if changes:
            await self.state.record_durably({"t": "answers", "device": thash, "answers": changes})
        if form.get("go") == "back":
            return RedirectResponse(f"/p/{n - 1}?saved=1", 303)
        return RedirectResponse(f"/p/{n + 1}?saved=1" if n < len(self.fw.principles) else "/done", 303)

    async def done(self, request: Request) -> Response:
        _, device = self._participant(request)
        lang = device.lang
        progress = [P.Progress(index=i, title=f"{p.id} {p.title.get(lang)}", total=len(p.questions),
                               answered=sum(1 for q in p.questions if q.id in device.answers))
                    for i, p in enumerate(self.fw.principles, start=1)]
        return self._page(P.DonePage(title=P.WORDS[lang]["done"], lang=lang, words=P.WORDS[lang], progress=progress,
                                     code=device.code))

    async def css(self, request: Request) -> Response:
        return FileResponse(STATIC, media_type="text/css")

    # --- projector -----------------------------------------------------------------------------------------
    def profile(self) -> tuple[list[P.Count], list[P.Disagreement]]:
        """Counts always; scores and disagreements only where at least k people answered."""
        room = self.room_lang
        finished = self.state.finished()
        counts, disagreements = [], []
        frame = self.state.ratings_frame()
        # The projector is public to the room: the same disclosure rule as the published site, at the live k.
        t = Thresholds(k_mean=max(K_MEAN, self.cfg.k), k_spread=max(K_SPREAD, self.cfg.k))
        results = {r.principle_id: r for r in aggregate(self.fw, frame, thresholds=t)} if self.state.revealed \
            else {}
        numeric = frame.filter(frame["rating"].is_not_null()) if frame.height else frame
        for p in self.fw.principles:
            score, bar = None, 0
            r = results.get(p.id)
            if r is not None and r.score is not None:
                qids = [q.id for q in p.questions]
                people = numeric.filter(numeric["question_id"].is_in(qids))["participant_code"].n_unique() \
                    if numeric.height else 0
                if people >= self.cfg.k:
                    score, bar = f"{r.score:.1f}", int(round(r.score / 5 * 20)) * 5
            counts.append(P.Count(principle_id=p.id, title=p.title.get(room), finished=finished[p.id], score=score,
                                  bar=bar))
            if r is not None:
                for q in r.questions:
                    if q.disagreement and q.q1 is not None and q.q3 is not None:
                        disagreements.append(P.Disagreement(
                            question_id=q.question_id, text=self.fw.questions[q.question_id].text.get(room),
                            spread=f"{P.WORDS[room]['middle_half']} {q.q1:g}–{q.q3:g}, n={q.n}"))
        return counts, disagreements

    async def projector(self, request: Request) -> Response:
        import segno

        counts, disagreements = self.profile()
        svg = segno.make(self.join_url, error="m").svg_inline(scale=4, border=2, omitsize=True)
        return self._page(P.ProjectorPage(
            title=f"{self.cfg.partnership} · {self.cfg.round_id}", lang=self.room_lang,
            words=P.WORDS[self.room_lang], refresh=5,
            partnership=self.cfg.partnership, round_id=self.cfg.round_id, phase=self.state.phase,
            join_url=self.join_url, join_code=self.join_code, qr_svg=svg, joined=len(self.state.active()),
            counts=counts, revealed=self.state.revealed, k=self.cfg.k, disagreements=disagreements))

    # --- facilitator ---------------------------------------------------------------------------------------
    async def facilitator(self, request: Request) -> Response:
        return self._facilitator_page(request.query_params.get("msg"))

    def _facilitator_page(self, message: str | None) -> Response:
        total = len(self.fw.questions)
        return self._page(P.FacilitatorPage(
            title=P.WORDS[self.room_lang]["facilitator"], lang=self.room_lang, words=P.WORDS[self.room_lang],
            base=f"/f/{self.facilitator_key}",
            partnership=self.cfg.partnership, round_id=self.cfg.round_id, phase=self.state.phase,
            revealed=self.state.revealed, join_url=self.join_url, join_code=self.join_code,
            participants=[P.Participant(code=d.code, answered=len(d.answers), group=d.group)
                          for d in self.state.active()],
            total_questions=total, csrf=self.forms.issue(FACILITATOR_KEY),
            message=message[:200] if message else None))

    async def facilitator_post(self, request: Request) -> Response:
        form = await form_of(request)
        self._check_csrf(FACILITATOR_KEY, form)
        action = request.path_params["action"]
        base = f"/f/{self.facilitator_key}"
        if action == "reopen" and self.state.phase == "closed":
            # A late participant or a mistake found after closing: answers can change again, and the next
            # close stores a new vintage of the round (the closed one stays in the history).
            await self.state.record_durably({"t": "phase", "phase": "open"})
            return RedirectResponse(f"{base}?msg=round+reopened", 303)
        if self.state.phase == "closed":
            raise BadRequest(409, "the round is closed and stored")
        if action == "open" and self.state.phase == "waiting":
            await self.state.record_durably({"t": "phase", "phase": "open"})
            return RedirectResponse(f"{base}?msg=round+open", 303)
        if action == "reveal":
            await self.state.record_durably({"t": "reveal", "on": form.get("on") == "1"})
            return RedirectResponse(base, 303)
        if action == "remove":
            code = form.get("code", "").strip().upper()  # as the store compares codes
            if code not in {d.code for d in self.state.active()}:
                raise BadRequest(400, "no such submission")
            await self.state.record_durably({"t": "remove", "code": code})
            return RedirectResponse(f"{base}?msg=removed+{quote(code)}", 303)
        if action == "close":
            async with self._closing:
                vid = await run_in_threadpool(self.close_round)
            return RedirectResponse(f"{base}?msg=stored+as+vintage+{vid}", 303)
        raise BadRequest(400, "unknown action")

    def close_round(self) -> int:
        """Store the active participants' answers as one ratings vintage, then journal the round as closed."""
        import polars as pl

        from c2c_monitor.store.workspace import open_workspace
        from c2c_monitor.workshop.sheets import store_ratings

        if self.state.phase == "closed":
            raise BadRequest(409, "the round is already closed")
        frame = self.state.ratings_frame()
        if frame.height == 0:
            raise BadRequest(409, "no answers to store yet")
        rows = frame.select(pl.lit(self.cfg.pid).alias("partnership_id"), pl.lit(self.cfg.round_id).alias("round_id"),
                            "participant_code", "stakeholder_group", "city_id", "question_id", "answer", "rating",
                            "comment")
        with open_workspace(self.cfg.root, wait=self.cfg.wait) as ws:
            vid = store_ratings(ws.con, self.cfg.pid, self.cfg.round_id, self.cfg.held_on, rows,
                                f"c2c workshop serve {self.journal.path.name}", self.journal.raw())
        self.state.record({"t": "phase", "phase": "closed", "vintage_id": vid})
        return vid


def summary_json(server: LiveServer) -> str:
    """What the journal holds, for tests and the load benchmark: answers per participant code."""
    return json.dumps({d.code: {q: a for q, (a, _) in d.answers.items()} for d in server.state.active()})
