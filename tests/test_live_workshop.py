"""`c2c workshop serve`: the security rules (each bad request refused, nothing stored) and the whole flow.

The app is driven in-process with Starlette's TestClient; the crash test runs the real command in a
subprocess on a free loopback port and kills it with SIGKILL.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from c2c_monitor.definitions.principles import load_framework
from c2c_monitor.workshop.live.journal import Journal, journal_path
from c2c_monitor.workshop.serve import LiveConfig, LiveServer

from .conftest import run_c2c

PID = "bonn-cape-coast"
ROUND = "live-2025"
FW = load_framework()
P01 = [q.id for q in FW.principles[0].questions]
ALL = [q.id for p in FW.principles for q in p.questions]


def make_server(ws: Path, k: int = 5) -> LiveServer:
    cfg = LiveConfig(root=ws, pid=PID, round_id=ROUND, partnership="Bonn – Cape Coast",
                     cities=[("bonn", "Bonn"), ("cape-coast", "Cape Coast")], languages=["en", "fr", "es"], k=k,
                     join_base="http://testserver")
    return LiveServer(cfg, FW, Journal(journal_path(ws, PID, ROUND)))


def csrf(html: str) -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    assert m, html[:500]
    return m.group(1)


def journal_lines(ws: Path) -> list[dict]:
    p = journal_path(ws, PID, ROUND)
    return [json.loads(x) for x in p.read_text().splitlines() if x.strip()] if p.exists() else []


def answer_events(ws: Path) -> list[dict]:
    return [e for e in journal_lines(ws) if e["t"] == "answers"]


@pytest.fixture
def live(demo_copy: Path):
    server = make_server(demo_copy)
    yield server, demo_copy
    server.journal.close()


def open_round(server: LiveServer, client: TestClient | None = None) -> None:
    c = client or TestClient(server.app)
    page = c.get(f"/f/{server.facilitator_key}")
    assert c.post(f"/f/{server.facilitator_key}/open", data={"csrf": csrf(page.text)},
                  follow_redirects=False).status_code == 303


def joined(server: LiveServer, group: str = "civil_society", lang: str = "en") -> TestClient:
    c = TestClient(server.app)
    page = c.get(f"/join?code={server.join_code}")
    r = c.post("/join", data={"csrf": csrf(page.text), "code": server.join_code, "lang": lang, "group": group,
                              "city": "bonn"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/p/1"
    return c


def rate(c: TestClient, n: int, answers: dict[str, str], comments: dict[str, str] | None = None):
    page = c.get(f"/p/{n}")
    assert page.status_code == 200, page.text
    data = {"csrf": csrf(page.text), "go": "next"} | {f"q_{q}": a for q, a in answers.items()}
    data |= {f"c_{q}": t for q, t in (comments or {}).items()}
    return c.post(f"/p/{n}", data=data, follow_redirects=False)


# --- security ----------------------------------------------------------------------------------------------
def test_every_page_carries_a_strict_csp_and_no_script(live) -> None:
    server, _ = live
    open_round(server)
    c = joined(server)
    for path in ("/join", "/p/1", "/done", "/projector"):
        r = c.get(path)
        assert r.status_code == 200
        csp = r.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "script-src" not in csp  # no script source at all
        assert "<script" not in r.text.lower() and "http://" not in r.text.replace(server.join_url, "")
        assert r.headers["referrer-policy"] == "no-referrer"


def test_wrong_join_code_is_refused_and_attempts_are_limited(live) -> None:
    server, ws = live
    c = TestClient(server.app)
    for i in range(10):
        page = c.get("/join")
        r = c.post("/join", data={"csrf": csrf(page.text), "code": "WRONGCODE" + str(i), "lang": "en"})
        assert r.status_code == 403
    page = c.get("/join")  # the right code, but this address has used up its attempts
    r = c.post("/join", data={"csrf": csrf(page.text), "code": server.join_code, "lang": "en"})
    assert r.status_code == 429
    assert journal_lines(ws) == []
    assert len(server.join_code) >= 10


def test_missing_replayed_and_foreign_csrf_tokens_are_refused(live) -> None:
    server, ws = live
    open_round(server)
    a, b = joined(server), joined(server)
    before = journal_lines(ws)
    page = a.get("/p/1")
    token = csrf(page.text)
    assert a.post("/p/1", data={f"q_{P01[0]}": "3"}).status_code == 403  # missing
    assert b.post("/p/1", data={"csrf": token, f"q_{P01[0]}": "3"}).status_code == 403  # another device's
    assert answer_events(ws) == [] and journal_lines(ws) == before
    assert a.post("/p/1", data={"csrf": token, f"q_{P01[0]}": "3"}, follow_redirects=False).status_code == 303
    assert a.post("/p/1", data={"csrf": token, f"q_{P01[0]}": "1"}).status_code == 403  # replayed
    assert [e["answers"] for e in answer_events(ws)] == [[[P01[0], "3", None]]]


def test_another_devices_cookie_or_none_cannot_answer(live) -> None:
    server, ws = live
    open_round(server)
    a = joined(server)
    stranger = TestClient(server.app)
    stranger.cookies.set("c2c_device", "x" * 43)  # a made-up token: not a joined device
    r = stranger.get("/p/1")
    assert r.status_code == 403
    r = stranger.post("/p/1", data={"csrf": "whatever", f"q_{P01[0]}": "3"})
    assert r.status_code == 403
    fresh = TestClient(server.app)
    assert fresh.get("/done").status_code == 403
    assert answer_events(ws) == [] and len(a.cookies.get("c2c_device") or "") > 20


@pytest.mark.parametrize("field, value", [
    (f"q_{P01[0]}", "7"),  # off the scale
    (f"q_{P01[0]}", "0"),
    ("q_P99.1", "3"),  # no such question
    ("q_P02.1", "3"),  # a question of another principle posted to P01's screen
    (f"c_{P01[0]}", "<script>alert(1)</script>"),  # markup in free text
    (f"c_{P01[0]}", "x" * 501),  # oversized text
    ("is_admin", "1"),
])
def test_invalid_fields_are_refused_and_nothing_is_stored(live, field: str, value: str) -> None:
    server, ws = live
    open_round(server)
    c = joined(server)
    page = c.get("/p/1")
    data = {"csrf": csrf(page.text), f"q_{P01[1]}": "4", field: value}
    if field.startswith("c_"):
        data[f"q_{P01[0]}"] = "2"
    r = c.post("/p/1", data=data)
    assert 400 <= r.status_code < 500
    assert "<script>alert" not in r.text
    assert answer_events(ws) == []
    assert server.state.ratings_frame().height == 0


def test_oversized_body_is_refused_before_parsing(live) -> None:
    server, ws = live
    open_round(server)
    c = joined(server)
    page = c.get("/p/1")
    r = c.post("/p/1", data={"csrf": csrf(page.text), f"q_{P01[0]}": "3", "pad": "y" * 40_000})
    assert r.status_code == 413
    assert answer_events(ws) == []


def test_the_facilitator_link_is_not_on_any_public_page(live) -> None:
    server, _ = live
    c = TestClient(server.app)
    for path in ("/projector", "/join"):
        assert server.facilitator_key not in c.get(path).text
    assert c.get("/f/not-the-key").status_code == 404
    assert c.post("/f/not-the-key/close", data={"csrf": "x"}).status_code == 404


def test_comments_are_stored_and_shown_escaped(live) -> None:
    server, ws = live
    open_round(server)
    c = joined(server)
    r = rate(c, 1, {P01[0]: "4"}, {P01[0]: 'Bonn & Cape Coast "joint" plan'})
    assert r.status_code == 303
    page = c.get("/p/1")
    assert "Bonn &amp; Cape Coast &#34;joint&#34; plan" in page.text


# --- the flow ----------------------------------------------------------------------------------------------
def test_three_participants_rate_one_changes_and_the_closed_round_is_assessed(live) -> None:
    server, ws = live
    open_round(server)
    phones = [joined(server, g) for g in ("civil_society", "local_government", "academia")]
    for i, c in enumerate(phones):
        for n, p in enumerate(FW.principles, start=1):
            r = rate(c, n, {q.id: str(1 + (i + j) % 5) for j, q in enumerate(p.questions)})
            assert r.status_code == 303
    assert r.headers["location"] == "/done"
    assert rate(phones[1], 1, {P01[0]: "dk"}).status_code == 303  # changes an answer
    proj = TestClient(server.app).get("/projector").text
    assert "<strong>3</strong> joined" in proj
    assert "fewer than 5" not in proj  # not revealed yet: no score column at all
    # Reveal: three people are fewer than k=5, so no score is shown.
    fac = TestClient(server.app)
    page = fac.get(f"/f/{server.facilitator_key}")
    fac.post(f"/f/{server.facilitator_key}/reveal", data={"csrf": csrf(page.text), "on": "1"})
    proj = TestClient(server.app).get("/projector").text
    assert proj.count("fewer than 5 answers") == 10
    page = fac.get(f"/f/{server.facilitator_key}")
    r = fac.post(f"/f/{server.facilitator_key}/close", data={"csrf": csrf(page.text)}, follow_redirects=False)
    assert r.status_code == 303 and "stored" in r.headers["location"]
    assert phones[0].get("/p/1").status_code == 409  # closed: no more changes
    assert phones[0].post("/p/1", data={"csrf": csrf(page.text), f"q_{P01[0]}": "5"}).status_code == 403
    server.journal.close()
    res = run_c2c("assess", PID, "-w", str(ws), "--format", "json")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    text = json.dumps(out)
    assert ROUND in text
    from c2c_monitor.store.reads import round_ratings
    from c2c_monitor.store.workspace import open_workspace

    with open_workspace(ws) as w:
        ratings, _ = round_ratings(w.con, PID, ROUND, None)
    assert ratings.height == 3 * len(ALL)
    changed = ratings.filter((ratings["participant_code"] == "LIVE-002") & (ratings["question_id"] == P01[0]))
    assert changed["answer"].to_list() == ["dk"]
    assert ratings["vintage_id"].n_unique() == 1


def test_profile_is_shown_once_k_people_answered(live) -> None:
    server, _ = live
    open_round(server)
    for i in range(5):
        c = joined(server)
        rate(c, 1, {q: str(1 + (i * 4) % 5 if j == 0 else 3) for j, q in enumerate(P01)})
    fac = TestClient(server.app)
    page = fac.get(f"/f/{server.facilitator_key}")
    fac.post(f"/f/{server.facilitator_key}/reveal", data={"csrf": csrf(page.text), "on": "1"})
    proj = TestClient(server.app).get("/projector").text
    assert proj.count("fewer than 5 answers") == 9  # P01 has 5 people; the nine others none
    assert P01[0] in proj  # ratings 1, 5, 4, 3, 2: spread wide enough to be flagged


def test_removed_submission_is_not_stored(live) -> None:
    server, ws = live
    open_round(server)
    a, b = joined(server), joined(server)
    rate(a, 1, {q: "4" for q in P01})
    rate(b, 1, {q: "1" for q in P01})
    fac = TestClient(server.app)
    page = fac.get(f"/f/{server.facilitator_key}")
    fac.post(f"/f/{server.facilitator_key}/remove", data={"csrf": csrf(page.text), "code": "LIVE-002"})
    assert b.get("/p/1").status_code == 403
    assert set(server.state.ratings_frame()["answer"]) == {"4"}


def test_restart_resumes_from_the_journal(live) -> None:
    server, ws = live
    open_round(server)
    c = joined(server)
    rate(c, 1, {P01[0]: "2", P01[1]: "na"})
    cookie = c.cookies.get("c2c_device")
    server.journal.close()
    again = make_server(ws)
    try:
        assert again.state.phase == "open"
        c2 = TestClient(again.app)
        c2.cookies.set("c2c_device", cookie)
        page = c2.get("/p/1").text
        assert re.search(rf'name="q_{re.escape(P01[0])}" value="2" checked', page)
        assert re.search(rf'name="q_{re.escape(P01[1])}" value="na" checked', page)
    finally:
        again.journal.close()


def test_answers_arriving_together_share_fsyncs_and_each_is_on_disk_before_its_reply(tmp_path, monkeypatch) -> None:
    import asyncio

    from c2c_monitor.workshop.live.state import RoundState

    journal = Journal(tmp_path / "j.jsonl")
    state = RoundState.load(FW, journal)
    synced_sizes: list[int] = []
    real_fsync = os.fsync

    def counting_fsync(fd: int) -> None:
        real_fsync(fd)
        synced_sizes.append(os.fstat(fd).st_size)

    monkeypatch.setattr(os, "fsync", counting_fsync)
    on_disk_at_reply: list[bool] = []

    async def answer(i: int) -> None:
        await state.record_durably({"t": "join", "device": f"d{i}", "code": f"LIVE-{i:03d}", "lang": "en"})
        # The line this request wrote ends at or before the file size that some completed fsync covered.
        raw = journal.raw()
        line_end = raw.index(b"\n", raw.index(f'"device":"d{i}"'.encode()))
        on_disk_at_reply.append(any(size >= line_end for size in synced_sizes))

    async def room() -> None:
        await asyncio.gather(*(answer(i) for i in range(50)))

    asyncio.run(room())
    journal.close()
    assert len(on_disk_at_reply) == 50 and all(on_disk_at_reply)
    assert 1 <= len(synced_sizes) <= 3  # one fsync per burst, not fifty in a queue
    assert len(Journal(tmp_path / "j.jsonl").replay()) == 50


def test_a_closed_round_can_be_reopened_and_closed_again_as_a_new_version(live) -> None:
    server, ws = live
    open_round(server)
    c = joined(server)
    rate(c, 1, {q: "2" for q in P01})
    fac = TestClient(server.app)
    base = f"/f/{server.facilitator_key}"
    r = fac.post(base + "/close", data={"csrf": csrf(fac.get(base).text)}, follow_redirects=False)
    assert "stored" in r.headers["location"]
    assert c.get("/p/1").status_code == 409
    page = fac.get(base).text
    assert "/reopen" in page
    r = fac.post(base + "/reopen", data={"csrf": csrf(page)}, follow_redirects=False)
    assert r.status_code == 303 and server.state.phase == "open"
    assert rate(c, 1, {P01[0]: "5"}).status_code == 303
    r = fac.post(base + "/close", data={"csrf": csrf(fac.get(base).text)}, follow_redirects=False)
    assert "stored" in r.headers["location"]
    from c2c_monitor.store.reads import round_ratings
    from c2c_monitor.store.workspace import open_workspace

    server.journal.close()
    with open_workspace(ws) as w:
        ratings, _ = round_ratings(w.con, PID, ROUND, None)
        vintages = w.con.execute("SELECT count(*) FROM vintages WHERE kind = 'ratings'").fetchone()
    got = dict(zip(ratings["question_id"], ratings["answer"], strict=True))
    assert got[P01[0]] == "5" and got[P01[1]] == "2"
    assert vintages is not None and vintages[0] >= 2


def test_projector_and_facilitator_speak_the_rooms_first_language(demo_copy: Path) -> None:
    cfg = LiveConfig(root=demo_copy, pid=PID, round_id=ROUND, partnership="Lyon – Porto-Novo",
                     cities=[("bonn", "Bonn")], languages=["fr", "en"], k=5, join_base="http://testserver")
    server = LiveServer(cfg, FW, Journal(journal_path(demo_copy, PID, ROUND)))
    try:
        c = TestClient(server.app)
        fac = c.get(f"/f/{server.facilitator_key}").text
        proj = c.get("/projector").text
        assert '<html lang="fr"' in proj and '<html lang="fr"' in fac
        assert "Ouvrir la séance" in fac and "Open the round" not in fac and "Submissions" not in fac
        assert "connectés" in proj and " joined" not in proj and "finished" not in proj
        assert FW.principles[0].title.get("fr") in proj  # the principles in French too
    finally:
        server.journal.close()


def test_a_torn_last_line_is_skipped(tmp_path: Path) -> None:
    j = Journal(tmp_path / "j.jsonl")
    j.append({"t": "phase", "phase": "open"})
    j.close()
    with open(tmp_path / "j.jsonl", "ab") as f:
        f.write(b'{"t":"answers","dev')  # what a kill -9 in the middle of a write leaves
    j = Journal(tmp_path / "j.jsonl")
    assert j.replay() == [{"t": "phase", "phase": "open"}]
    j.append({"t": "reveal", "on": True})
    assert j.replay() == [{"t": "phase", "phase": "open"}, {"t": "reveal", "on": True}]
    j.close()


# --- kill -9 -----------------------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Phone:
    """A cookie-keeping HTTP client on urllib (no redirects followed: the server's 303s are checked)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = CookieJar()

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *a, **k):  # type: ignore[no-untyped-def]
                return None

        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect)

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=10) as r:
            return r.read().decode()

    def post(self, path: str, data: dict[str, str]) -> int:
        req = urllib.request.Request(self.base + path, data=urllib.parse.urlencode(data).encode())
        try:
            with self.opener.open(req, timeout=10) as r:
                return int(r.status)
        except urllib.error.HTTPError as e:
            return int(e.code)


def _start(ws: Path, port: int) -> tuple[subprocess.Popen[str], dict[str, str]]:
    env = {k: v for k, v in os.environ.items() if k != "C2C_WORKSPACE"}
    proc = subprocess.Popen([sys.executable, "-m", "c2c_monitor.cli", "workshop", "serve", PID, "-w", str(ws),
                             "--round", ROUND, "--port", str(port)], stderr=subprocess.PIPE, text=True, env=env)
    info: dict[str, str] = {}
    assert proc.stderr is not None
    for line in proc.stderr:
        m = re.match(r"(join code|facilitator):\s+(\S+)", line)
        if m:
            info[m.group(1)] = m.group(2)
        if "facilitator" in info:
            break
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):  # the server prints before it listens: wait until it answers
        try:
            urllib.request.urlopen(base + "/projector", timeout=1).read()
            break
        except OSError:
            time.sleep(0.1)
    return proc, info


def test_kill_9_loses_no_saved_answer(demo_copy: Path) -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    proc, info = _start(demo_copy, port)
    try:
        fac = Phone(base)
        fpath = info["facilitator"].removeprefix(base)
        assert fac.post(fpath + "/open", {"csrf": csrf(fac.get(fpath))}) == 303
        phone = Phone(base)
        page = phone.get("/join?code=" + info["join code"])
        assert phone.post("/join", {"csrf": csrf(page), "code": info["join code"], "lang": "en"}) == 303
        for n, p in enumerate(FW.principles[:3], start=1):
            page = phone.get(f"/p/{n}")
            data = {"csrf": csrf(page)} | {f"q_{q.id}": "4" for q in p.questions}
            assert phone.post(f"/p/{n}", data) == 303
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    proc, info = _start(demo_copy, port)
    try:
        page = phone.get("/p/3")  # the same phone, its cookie kept
        for q in FW.principles[2].questions:
            assert f'name="q_{q.id}" value="4" checked' in page
        page = phone.get("/p/4")
        assert "checked" not in page.replace('value="" checked', "")
    finally:
        proc.terminate()
        proc.wait(timeout=20)
