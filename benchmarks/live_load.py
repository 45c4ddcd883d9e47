"""Bounded load test of `c2c workshop serve` on loopback: 200 simulated phones answer the whole checklist.

Fixed count (200 phones x join + 10 screens, each screen a GET then a POST), fixed cap (180 s, then it
stops and reports what it has), 127.0.0.1 only. Afterwards the round is closed through the facilitator
link and the store is checked: every phone's every answer present once, with the value it sent.

Two scenarios, each on a fresh server and workspace:
- `room`: the workshop as it happens, compressed. Phones join over 20 s (people scan the QR code as they sit
  down) and "read" each screen for 2-10 s (seeded, uniform) before answering; a real participant takes one to
  three minutes per principle, so this is about ten times the real request rate. Its p95 is the response time a
  participant sees; the target is 100 ms.
- `burst`: no think time, all 200 phones hammering at once: a saturation test. Latency here is mostly queueing
  (Little's law: 200 requests in flight / throughput), so it reports throughput as well; it is not what a
  person in the room experiences.
The client runs on the same 2 cores as the server, so both figures include the client's own CPU use.

Run: `python benchmarks/live_load.py [room|burst ...]` (temporary demo workspaces, removed at the end).
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

PHONES = 200
CAP_SECONDS = 180.0
JOIN_WINDOW = 20.0
THINK = (2.0, 10.0)
PID, ROUND = "bonn-cape-coast", "load"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def expected(phone: int, qid: str) -> str:
    answers = ["1", "2", "3", "4", "5", "dk", "na"]
    return answers[(phone * 7 + sum(map(ord, qid))) % len(answers)]


async def phone(i: int, base: str, code: str, principles: list[list[str]], lat: list[float], room: bool) -> None:
    rnd = random.Random(i)  # the same pauses in every run

    async def think(seconds: float) -> None:
        if room:
            await asyncio.sleep(seconds)

    await think(rnd.uniform(0, JOIN_WINDOW))
    async with httpx.AsyncClient(base_url=base, timeout=30) as c:
        async def timed(method: str, url: str, **kw: object) -> httpx.Response:
            t = time.perf_counter()
            r = await c.request(method, url, **kw)  # type: ignore[arg-type]
            lat.append(time.perf_counter() - t)
            return r

        page = await timed("GET", f"/join?code={code}")
        r = await timed("POST", "/join", data={"csrf": CSRF.search(page.text).group(1), "code": code, "lang": "en"})
        assert r.status_code == 303, r.text
        for n, qids in enumerate(principles, start=1):
            page = await timed("GET", f"/p/{n}")
            await think(rnd.uniform(*THINK))
            data = {"csrf": CSRF.search(page.text).group(1), "go": "next"} | {f"q_{q}": expected(i, q) for q in qids}
            r = await timed("POST", f"/p/{n}", data=data)
            assert r.status_code == 303, (r.status_code, r.text[:200])


async def main_async(base: str, code: str, principles: list[list[str]],
                     room: bool) -> tuple[list[float], int, float]:
    lat: list[float] = []
    t0 = time.perf_counter()
    tasks = [asyncio.create_task(phone(i, base, code, principles, lat, room)) for i in range(PHONES)]
    done, pending = await asyncio.wait(tasks, timeout=CAP_SECONDS)
    for t in pending:
        t.cancel()
    failed = sum(1 for t in done if t.exception() is not None) + len(pending)
    for t in done:
        if t.exception() is not None:
            print("phone failed:", repr(t.exception())[:200])
            break
    return lat, failed, time.perf_counter() - t0


def main() -> int:
    scenarios = sys.argv[1:] or ["room", "burst"]
    if not set(scenarios) <= {"room", "burst"}:
        print("usage: live_load.py [room|burst ...]", file=sys.stderr)
        return 2
    bad = 0
    for scenario in scenarios:
        print(f"== scenario: {scenario}", flush=True)
        bad |= run(scenario == "room")
    return bad


def run(room: bool) -> int:
    from c2c_monitor.definitions.principles import load_framework

    fw = load_framework()
    principles = [[q.id for q in p.questions] for p in fw.principles]
    tmp = Path(tempfile.mkdtemp(prefix="c2c-live-load-"))
    ws = tmp / "ws"
    env = {k: v for k, v in os.environ.items() if k != "C2C_WORKSPACE"}
    subprocess.run([sys.executable, "-m", "c2c_monitor.cli", "init", str(ws), "--demo"], check=True, env=env,
                   capture_output=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
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
    try:
        for _ in range(100):
            try:
                httpx.get(base + "/projector", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        fac = httpx.Client(timeout=60)
        page = fac.get(info["facilitator"])
        fac.post(info["facilitator"] + "/open", data={"csrf": CSRF.search(page.text).group(1)})
        lat, failed, wall = asyncio.run(main_async(base, info["join code"], principles, room))
        page = fac.get(info["facilitator"])
        r = fac.post(info["facilitator"] + "/close", data={"csrf": CSRF.search(page.text).group(1)})
        print("close:", r.status_code, r.headers.get("location", "").split("?")[-1])  # not the secret path
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    import duckdb

    con = duckdb.connect(str(ws / "workspace.duckdb"), read_only=True)
    rows = con.execute("SELECT participant_code, question_id, answer FROM ratings WHERE partnership_id = ? "
                       "AND round_id = ?", [PID, ROUND]).fetchall()
    con.close()
    n_q = sum(map(len, principles))
    keys = [(p, q) for p, q, _ in rows]
    doubled = len(keys) - len(set(keys))
    got = {(p, q): a for p, q, a in rows}
    want = {(f"LIVE-{i + 1:03d}", q): None for i in range(PHONES) for qs in principles for q in qs}
    lost = sum(1 for k in want if k not in got)
    # Join order decides a phone's code, so a value is checked by the set of answers per participant.
    by_code: dict[str, dict[str, str]] = {}
    for p, q, a in rows:
        by_code.setdefault(p, {})[q] = a
    wanted_sets = {tuple(expected(i, q) for qs in principles for q in qs) for i in range(PHONES)}
    wrong = sum(1 for answers in by_code.values()
                if tuple(answers.get(q, "") for qs in principles for q in qs) not in wanted_sets)
    lat.sort()
    p = lambda f: lat[min(len(lat) - 1, int(f * len(lat)))] * 1000  # noqa: E731
    print(f"phones: {PHONES}, questions each: {n_q}, requests: {len(lat)}, failed phones: {failed}, "
          f"wall time: {wall:.1f} s (cap {CAP_SECONDS:.0f} s)")
    print(f"throughput: {len(lat) / wall:.0f} requests/s")
    print(f"latency ms: p50 {p(0.50):.1f}, p95 {p(0.95):.1f}, p99 {p(0.99):.1f}, max {lat[-1] * 1000:.1f}")
    print(f"store: {len(rows)} rating rows (expected {PHONES * n_q}), lost {lost}, doubled {doubled}, "
          f"participants with unexpected answers {wrong}")
    import shutil

    shutil.rmtree(tmp, ignore_errors=True)
    return 0 if not (failed or lost or doubled or wrong) else 1


if __name__ == "__main__":
    raise SystemExit(main())
