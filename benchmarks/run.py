"""c2c-monitor benchmarks: each figure is a ratio against a bare baseline run in the same process.

    python benchmarks/run.py                  # the full run (--sizes full: the scale figure is most of it)
    python benchmarks/run.py --size moderate  # a tenth of the national workspace (9.7 M observations)
    python benchmarks/run.py --size smoke     # seconds: checks that every figure runs and prints
    python benchmarks/run.py --only evaluate,startup

Figures (issue 8): 1 evaluate, 2 ingest, 3 publish, 4 start-up (and, issue 19, a whole demo `c2c assess`),
5 scale; issue 19: 6 one partnership in the national workspace (assess/compare/publish wall times and the
row groups EXPLAIN ANALYZE read), 7 scoring 100 / 1,000 / 10,000 partnerships, 8 one programme-level
DuckDB query over many published Parquet packages. DuckDB's memory in the scale run is capped by
C2C_BENCH_MEMORY (unset: DuckDB's default). Machines here are noisy, so each timing is the best of a few repeats and
every figure is read as engine / baseline.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

SIZES = {
    "smoke": {"eval_partnerships": 20, "eval_quarters": 8, "ingest_rows": 20_000, "publish_pages": 10,
              "startup_repeats": 2, "scale_municipalities": 100, "scale_quarters": 8, "repeats": 1,
              "scoring_sizes": [10, 30], "programme_packages": 20},
    "moderate": {"eval_partnerships": 1000, "eval_quarters": 40, "ingest_rows": 3_000_000, "publish_pages": 300,
                 "startup_repeats": 5, "scale_municipalities": 3_500, "scale_quarters": 40, "repeats": 2,
                 "scoring_sizes": [100, 1000, 10_000], "programme_packages": 10_000},
    "full": {"eval_partnerships": 1000, "eval_quarters": 40, "ingest_rows": 10_000_000, "publish_pages": 1000,
             "startup_repeats": 7, "scale_municipalities": 35_000, "scale_quarters": 40, "repeats": 3,
             "scoring_sizes": [100, 1000, 10_000], "programme_packages": 10_000},
}
RESULTS: list[dict[str, Any]] = []


def best(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(repeats):
        gc.collect()
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def report(n: int, name: str, engine: float, baseline: float, target: float | None, note: str,
           kind: str = "ratio") -> None:
    if kind == "ratio":
        value = engine / baseline if baseline > 0 else float("inf")
        shown = f"{value:5.2f}x"
        ok = target is None or value <= target
        goal = f"target <= {target:g}x" if target else ""
    elif kind == "wall":  # a wall time against its own target, the baseline printed beside it
        value = engine
        shown = f"{value:.3f}s"
        ok = target is None or value <= target
        goal = f"target < {target:g}s" if target else ""
    else:  # "over": seconds above the baseline
        value = engine - baseline
        shown = f"+{value:.3f}s"
        ok = target is None or value <= target
        goal = f"target <= +{target:g}s" if target else ""
    status = "" if target is None else ("met" if ok else "MISSED")
    print(f"[{n}] {name:<44} engine {engine:8.3f}s  baseline {baseline:8.3f}s  {shown:>9}  {goal:<16} "
          f"{status}", flush=True)
    if note:
        print(f"      {note}", flush=True)
    RESULTS.append({"figure": n, "name": name, "engine_s": round(engine, 4), "baseline_s": round(baseline, 4),
                    "value": round(value, 4), "kind": kind, "target": target, "met": ok, "note": note})


def new_workspace(root: Path) -> Any:
    from c2c_monitor.store.workspace import init_workspace, open_workspace

    init_workspace(root, "bench")
    return open_workspace(root)


class Preloaded:
    """`c2c preload` in a private socket folder, and wall times of commands a loaded worker takes.

    By default each timed command is issued once every worker is loaded and waiting (the preloader's log says
    when each is ready), as when a person types one command after another: the worker that took the previous
    command has been replaced, its replacement loaded in the second or so between two commands. `back_to_back`
    issues each command as soon as the previous one ended, once one loaded worker waits: a script's use, where
    the replacement loads (a second of CPU) while the next command runs. A command that no worker took shows as
    a worker that never gets replaced, and raises instead of printing a time that was not preloaded.
    """

    WORKERS = 2

    def __init__(self, exe: str, env: dict[str, str]) -> None:
        self.exe = exe
        self.folder = Path(tempfile.mkdtemp(prefix="c2cpl-", dir="/tmp"))  # short: socket paths are limited
        self.folder.chmod(0o700)
        self.env = {**env, "C2C_PRELOAD_DIR": str(self.folder)}
        self.taken = 0

    def __enter__(self) -> Preloaded:
        subprocess.run([self.exe, "preload", "start", "--workers", str(self.WORKERS)], env=self.env, check=True,
                       stderr=subprocess.DEVNULL)
        return self

    def __exit__(self, *exc: object) -> None:
        subprocess.run([self.exe, "preload", "stop"], env=self.env, stderr=subprocess.DEVNULL)
        shutil.rmtree(self.folder, ignore_errors=True)

    def _ready(self) -> int:
        log = self.folder / "preload.log"
        return log.read_text(encoding="utf-8").count(" ready after ") if log.exists() else 0

    def _wait(self, n: int) -> None:
        deadline = time.monotonic() + 120
        while self._ready() < n:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the preloader did not take the command(s): {self._ready()} worker(s) ready, "
                                   f"{n} expected (is the `c2c` script c2c_monitor.cli:entry? reinstall)")
            time.sleep(0.05)

    def run(self, argv: list[str], repeats: int, back_to_back: bool = False) -> float:
        """Best wall time of `c2c ARGV` through the preloader (the first of repeats + 1 runs discarded)."""
        times = []
        for _ in range(repeats + 1):
            # Every worker loaded (the first ones, then each replacement), or only one of them (back to back).
            self._wait(self.taken + (1 if back_to_back else self.WORKERS))
            t = time.perf_counter()
            subprocess.run([self.exe, *argv], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=True,
                           env=self.env)
            times.append(time.perf_counter() - t)
            self.taken += 1
        self._wait(self.taken + 2)  # every command was taken: each left a replacement behind
        return min(times[1:])


# --- 1. evaluate ------------------------------------------------------------------------------------
BASELINE_EVAL = """
WITH cur AS (
  SELECT * EXCLUDE (rn) FROM (SELECT o.*, row_number() OVER (PARTITION BY code, city_id, period, disagg
    ORDER BY vintage_id DESC) rn FROM observations o) WHERE rn = 1 AND action <> 'D' AND disagg = ''),
spec AS (SELECT unnest(?::VARCHAR[]) AS code, unnest(?::VARCHAR[]) AS periodicity, unnest(?::VARCHAR[]) AS rule),
q AS (SELECT c.code, c.city_id, c.period, c.value FROM cur c JOIN spec s USING (code)
      WHERE s.periodicity = 'quarterly' AND c.quarter > 0),
a AS (SELECT c.code, c.city_id, c.year, c.value FROM cur c JOIN spec s USING (code)
      WHERE s.periodicity <> 'quarterly' AND c.quarter = 0),
r AS (SELECT c.code, c.city_id, CAST(c.year AS VARCHAR) AS period,
        CASE any_value(s.rule) WHEN 'sum' THEN sum(c.value) WHEN 'mean' THEN avg(c.value)
             ELSE arg_max(c.value, c.quarter) END AS value
      FROM cur c JOIN spec s USING (code)
      WHERE s.periodicity <> 'quarterly' AND c.quarter > 0 AND c.value IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM a WHERE a.code = c.code AND a.city_id = c.city_id AND a.year = c.year)
      GROUP BY c.code, c.city_id, c.year),
u AS (SELECT * FROM q UNION ALL SELECT code, city_id, CAST(year AS VARCHAR), value FROM a UNION ALL SELECT * FROM r)
SELECT p.partnership_id, u.code, u.city_id, u.period, u.value FROM u
JOIN partnerships p ON u.city_id IN (p.european_city_id, p.partner_city_id)
"""


def fig_evaluate(cfg: dict[str, int], tmp: Path) -> None:
    import polars as pl
    import synth

    from c2c_monitor.definitions.catalog import load_catalogue
    from c2c_monitor.engine.evaluate import evaluate

    cat = load_catalogue()
    with new_workspace(tmp / "eval") as ws:
        info = synth.fill(ws.con, cfg["eval_partnerships"], cfg["eval_quarters"], ratings=False)
        pids = [r[0] for r in ws.con.execute("SELECT partnership_id FROM partnerships").fetchall()]
        city = [i for i in cat.ordered if i.family == "city" and "long" in i.lists]
        spec = [[i.observation_code for i in city], [i.periodicity for i in city], [i.annual_rule for i in city]]
        base_t, base = best(lambda: ws.con.sql(BASELINE_EVAL, params=spec).pl(), cfg["repeats"])
        eng_t, res = best(lambda: evaluate(ws.con, city, pids, backend="duckdb"), cfg["repeats"])
        pol_t, _ = best(lambda: evaluate(ws.con, city, pids, backend="polars"), cfg["repeats"])
        code_of = {i.id: i.observation_code for i in city}
        mine = res.with_columns(pl.col("indicator_id").replace_strict(code_of).alias("code"))
        joined = base.join(mine, on=["partnership_id", "code", "city_id", "period"], how="full", coalesce=True)
        diff = joined.filter(~(pl.col("value") - pl.col("value_right")).abs().le(1e-9).fill_null(False)
                             & ~(pl.col("value").is_null() & pl.col("value_right").is_null()))
        agree = f"values agree on all {base.height:,} rows" if diff.height == 0 else \
            f"DISAGREE on {diff.height} of {base.height} rows"
        report(1, "evaluate: long-list city indicators (duckdb)", eng_t, base_t, 2.0,
               f"{info['partnerships']:,} partnerships x {cfg['eval_quarters']} quarters, "
               f"{info['observations']:,} observations; {agree}")
        report(1, "evaluate: same, polars backend", pol_t, base_t, None, "")
        everything = [i for i in cat.ordered if "long" in i.lists]
        all_t, allres = best(lambda: evaluate(ws.con, everything, pids, backend="duckdb"), 1)
        report(1, "evaluate: the whole long list (+ records)", all_t, base_t, None,
               f"{len(everything)} indicators, {allres.height:,} result rows (baseline covers city indicators)")


# --- 2. ingest --------------------------------------------------------------------------------------
def fig_ingest(cfg: dict[str, int], tmp: Path) -> None:
    import duckdb
    import synth

    from c2c_monitor.definitions.catalog import load_catalogue
    from c2c_monitor.ingest.load import ingest
    from c2c_monitor.ingest.mapping import Mapping
    from c2c_monitor.store.schema import insert_frame

    cat = load_catalogue()
    path = tmp / "obs.csv"
    rows, n_cities = synth.sdmx_file(path, cfg["ingest_rows"], cat)

    def baseline(db: str = ":memory:") -> int:
        con = duckdb.connect(db)
        con.execute("CREATE TABLE t AS SELECT * FROM read_csv(?)", [str(path)])
        n = con.execute("SELECT count(*) FROM t").fetchall()[0][0]
        con.close()
        if db != ":memory:":
            Path(db).unlink(missing_ok=True)
        return n

    # The workspace is a database file and a load is committed to it, so the like-for-like baseline
    # stores into a database file too; the in-memory table is printed beside it.
    base_t, n = best(lambda: baseline(str(tmp / "baseline.duckdb")), cfg["repeats"])
    mem_t, _ = best(baseline, cfg["repeats"])
    assert n == rows

    def engine() -> Any:
        root = tmp / f"ingest-{time.monotonic_ns()}"
        with new_workspace(root) as ws:
            cities, _ = synth.partnership_rows((n_cities + 1) // 2)  # 2 cities a partnership
            insert_frame(ws.con, "cities", cities)
            s = ingest(ws.con, cat, [path], Mapping())
        shutil.rmtree(root)
        return s

    eng_t, summary = best(engine, min(2, cfg["repeats"]))
    assert summary.new == rows, f"only {summary.new} of {rows} rows loaded: {summary.skipped}"
    report(2, "ingest: SDMX-CSV with full validation", eng_t, base_t, 2.0,
           f"{rows:,} rows ({path.stat().st_size / 1e6:,.0f} MB), all loaded as new; baseline: DuckDB "
           f"read_csv into a table in a database file. Against an in-memory table ({mem_t:.2f}s): "
           f"{eng_t / mem_t:.2f}x")
    # The file above comes city by city, close to the store's order (not in it: its codes follow the catalogue).
    # The same rows shuffled are what a source in any other order costs: the store sort and the gathers then
    # touch memory at random. One run each, no target.
    import polars as pl

    pl.read_csv(path, infer_schema=False).sample(fraction=1.0, shuffle=True, seed=3).write_csv(path)
    shuffled_base, _ = best(lambda: baseline(str(tmp / "baseline.duckdb")), 1)
    shuffled_t, summary = best(engine, 1)
    assert summary.new == rows
    report(2, "same rows, shuffled (one run each)", shuffled_t, shuffled_base, None,
           "the same file in random row order: a source in another order than the store's")


# --- 3. publish -------------------------------------------------------------------------------------
def _cpu_and_wall(fn: Callable[[], Any], repeats: int) -> tuple[float, float, Any]:
    """best() that also reports the process's CPU time (the least of the repeats, like the wall time)."""
    cpus, walls, out = [], [], None
    for _ in range(repeats):
        gc.collect()
        c, t = time.process_time(), time.perf_counter()
        out = fn()
        walls.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)
    return min(cpus), min(walls), out


def fig_publish(cfg: dict[str, int], tmp: Path) -> None:
    import synth

    from c2c_monitor.definitions.catalog import load_catalogue
    from c2c_monitor.definitions.principles import load_framework
    from c2c_monitor.publish.site import slug, write_site
    from c2c_monitor.render.html import environment
    from c2c_monitor.score.assess import build_scoreboards

    cat, fw = load_catalogue(), load_framework()
    with new_workspace(tmp / "pub") as ws:
        synth.fill(ws.con, cfg["publish_pages"], 12)
        pids = [r[0] for r in ws.con.execute("SELECT partnership_id FROM partnerships ORDER BY 1").fetchall()]
        score_t, sbs = best(lambda: build_scoreboards(ws, pids, catalogue=cat, framework=fw), 1)
        env = environment()
        site = {"title": "bench", "generated_at": "now", "tool_version": "0", "catalog_version": cat.version,
                "framework_version": fw.version, "rules_version": "r", "licence": "CC-BY-4.0", "vintages": [1]}

        def baseline() -> int:
            t = env.get_template("site/partnership.html.j2")
            return sum(len(t.render(site=site, lang="en", root="../", home="../", alternates=[], sb=sb,
                                    slug=slug(sb.partnership.id), has_pdf=False, chart_principles="", sparks=[],
                                    vintages=[])) for sb in sbs)

        base_cpu, base_t, _ = _cpu_and_wall(baseline, cfg["repeats"])
        out = tmp / "site"
        eng_cpu, eng_t, summary = _cpu_and_wall(lambda: write_site(ws, sbs, out, cat, fw, pdf=False), cfg["repeats"])
        report(3, "publish: partnership pages (site, charts, data)", eng_t, base_t, 2.0,
               f"{len(sbs):,} partnerships -> {len(summary.files):,} files; baseline: jinja2 rendering the same "
               f"template to strings. Evaluating + scoring them first took {score_t:.1f}s "
               f"({score_t / len(sbs) * 1000:.0f} ms a partnership)")
        # A loaded machine moves the wall ratio by tenths either way; the CPU time of this process (all its threads,
        # so DuckDB's and polars' too: no help to the engine) says what the work itself costs.
        print(f"      CPU time, best of {cfg['repeats']}: engine {eng_cpu:.3f}s, baseline {base_cpu:.3f}s, "
              f"{eng_cpu / base_cpu:.2f}x", flush=True)
        from c2c_monitor.publish.site import publish

        hundred = pids[:100]
        e2e_t, _ = best(lambda: publish(ws, hundred, tmp / "site-100", pdf=False), 1)
        print(f"      end to end, `c2c publish` of {len(hundred)} partnerships without PDFs: {e2e_t:.1f}s",
              flush=True)
        from c2c_monitor.publish.pdf_chromium import find_chromium

        if find_chromium():
            pdf_t, s100 = best(lambda: publish(ws, hundred, tmp / "site-100-pdf", pdf_engine="chromium"), 1)
            print(f"      end to end, `c2c publish` of {len(hundred)} partnerships with {s100.pdfs} PDFs "
                  f"(Chromium, {os.cpu_count()} tabs): {pdf_t:.1f}s", flush=True)
        else:
            print("      (no Chromium here: the PDF figure below is WeasyPrint's only)", flush=True)
        few = sbs[: max(2, min(8, len(sbs)))]
        w_t, _ = best(lambda: write_site(ws, few, tmp / "site-pdf", cat, fw, pdf_engine="weasyprint"), 1)
        nopdf_t, _ = best(lambda: write_site(ws, few, tmp / "site-nopdf", cat, fw, pdf=False), 1)
        per_pdf = (w_t - nopdf_t) / len(few)
        print(f"      WeasyPrint (no Chromium): {per_pdf:.2f}s per partnership PDF ({os.cpu_count()} worker "
              f"processes), measured on {len(few)}; so about {e2e_t + per_pdf * len(hundred):.0f}s for "
              f"{len(hundred)} partnerships with PDFs", flush=True)


# --- 7. scoring (issue 19: set-based, linear in the number of partnerships) --------------------------
BASELINE_SCORING = """
SELECT partnership_id, round_id, question_id, median(rating) AS median, quantile_cont(rating, 0.25) AS q1,
       quantile_cont(rating, 0.75) AS q3, count(*) AS n
FROM ratings WHERE answer IN ('1', '2', '3', '4', '5') GROUP BY ALL
"""


def _tiled_ratings(con: Any, n: int, vid: int) -> int:
    """The demo's rating generator run for 100 partnerships, repeated under the ids of n (it is slow in Python)."""
    import random

    import polars as pl
    import synth

    from c2c_monitor.definitions.principles import load_framework
    from c2c_monitor.ingest.demo import _ratings
    from c2c_monitor.store.schema import insert_frame

    k = min(n, 100)
    _, parts = synth.partnership_rows(k)
    rat = _ratings(random.Random(1), load_framework(), parts)
    rows = 0
    for name, df in rat.items():
        copies = []
        for start in range(0, n, k):
            shift = pl.col("partnership_id").str.slice(1).cast(pl.Int64) + start
            # Filter on the original ids first: once renamed, `shift` would read the new id and add `start` twice.
            copies.append(df.filter(shift < n)
                          .with_columns(pl.format("p{}", shift.cast(pl.String).str.zfill(6)).alias("partnership_id")))
        out = pl.concat(copies).with_columns(pl.lit(vid).alias("vintage_id"))
        insert_frame(con, name, out)
        rows += out.height
    return rows


def fig_scoring(cfg: dict[str, int], tmp: Path) -> None:
    import synth

    from c2c_monitor.definitions.catalog import load_catalogue
    from c2c_monitor.definitions.principles import load_framework
    from c2c_monitor.engine.evaluate import evaluate
    from c2c_monitor.score.assess import build_scoreboards
    from c2c_monitor.store.schema import new_vintage, transaction

    cat, fw = load_catalogue(), load_framework()
    for n in cfg["scoring_sizes"]:
        with new_workspace(tmp / f"score-{n}") as ws:
            info = synth.fill(ws.con, n, 8, ratings=False)
            with transaction(ws.con):
                vid = new_vintage(ws.con, "synthetic", "tiled ratings", None, 0)
                n_ratings = _tiled_ratings(ws.con, n, vid)
            pids = [r[0] for r in ws.con.execute("SELECT partnership_id FROM partnerships ORDER BY 1").fetchall()]
            repeats = 1 if n > 1000 else cfg["repeats"]
            base_t, _ = best(lambda: ws.con.sql(BASELINE_SCORING).pl(), repeats)
            inds = [i for i in cat.ordered if "simplified" in i.lists or not i.harmonised]
            ev_t, _ = best(lambda inds=inds, pids=pids: evaluate(ws.con, inds, pids), repeats)
            sc_t, sbs = best(lambda pids=pids: build_scoreboards(ws, pids, catalogue=cat, framework=fw),
                             repeats)
            assert len(sbs) == n and all(sb.round_id is not None for sb in sbs), "a partnership without ratings"
            report(7, f"scoring: {n:,} partnerships (principles + indicators)", sc_t, base_t,
                   3.0 if n == 1000 else None,
                   f"{sc_t / n * 1000:.2f} ms a partnership; evaluating their indicators alone {ev_t:.2f}s; "
                   f"{n_ratings:,} rating rows, {info['observations']:,} observations; baseline: one DuckDB "
                   f"query of every question's median and quartiles", kind="wall" if n == 1000 else "ratio")


# --- 8. programme: one query over many published packages (issue 19) ---------------------------------
PROGRAMME_QUERY = """
SELECT indicator_id, count(DISTINCT partnership_id) AS partnerships, round(avg(score), 2) AS mean_score,
       count(*) FILTER (WHERE light = 'green') AS green, count(*) FILTER (WHERE score IS NULL) AS missing
FROM {source} WHERE family = 'city' AND city_id >= $lo AND city_id < $hi
GROUP BY indicator_id ORDER BY indicator_id
"""


def fig_programme(cfg: dict[str, int], tmp: Path) -> None:
    """`n` packages as `c2c publish --parquet` writes them (one partnership each), then DuckDB over all of them."""
    import duckdb
    import polars as pl
    import synth

    from c2c_monitor.definitions.catalog import load_catalogue
    from c2c_monitor.definitions.principles import load_framework
    from c2c_monitor.publish.opendata import PARQUET_ORDER, figures, write_parquet
    from c2c_monitor.score.assess import build_scoreboards

    n = cfg["programme_packages"]
    cat, fw = load_catalogue(), load_framework()
    with new_workspace(tmp / "ws") as ws:
        synth.fill(ws.con, 10, 12)
        pids = [r[0] for r in ws.con.execute("SELECT partnership_id FROM partnerships ORDER BY 1").fetchall()]
        sbs = build_scoreboards(ws, pids, catalogue=cat, framework=fw)
    base = next(r for r in figures(sbs) if r.name == "indicators").frame
    t = time.perf_counter()
    frames = []
    for k in range(n):
        one = base.filter(pl.col("partnership_id") == pids[k % len(pids)])
        # Each package: its own partnership and cities, values moved a little so that nothing is shared.
        df = one.with_columns(pl.lit(f"pkg{k:06d}").alias("partnership_id"),
                              pl.when(pl.col("city_id").is_not_null())
                              .then(pl.format("c{}-{}", pl.lit(f"{k:06d}"), pl.col("city_id"))).alias("city_id"),
                              (pl.col("score") * (0.9 + 0.2 * ((k * 7919) % 100) / 100)).clip(0, 100).alias("score"))
        write_parquet(df, tmp / "packages" / f"pkg{k:06d}" / "data" / "parquet" / "indicators.parquet",
                      PARQUET_ORDER["indicators"])
        frames.append(df)
    gen_t = time.perf_counter() - t
    everything = pl.concat(frames)
    files = str(tmp / "packages" / "*" / "data" / "parquet" / "indicators.parquet")
    lo, hi = f"c{n // 10:06d}", f"c{2 * n // 10:06d}"  # a tenth of the programme's packages' cities, by id
    con = duckdb.connect()
    con.register("_all", everything)
    con.execute("CREATE TABLE allrows AS SELECT * FROM _all")
    con.unregister("_all")
    eng_t, got = best(lambda: con.execute(PROGRAMME_QUERY.format(source="read_parquet($files)"),
                                          {"files": files, "lo": lo, "hi": hi}).fetchall(), cfg["repeats"])
    base_t, want = best(lambda: con.execute(PROGRAMME_QUERY.format(source="allrows"),
                                            {"lo": lo, "hi": hi}).fetchall(), cfg["repeats"])
    con.close()
    assert got == want, "the query over the packages disagrees with the same rows in one table"
    report(8, f"programme: one query over {n:,} published packages", eng_t, base_t, None,
           f"DuckDB read_parquet over {n:,} files ({everything.height:,} indicator rows, written in {gen_t:.0f}s "
           f"by publish's own Parquet writer); baseline: the same query over the same rows in one in-memory "
           f"DuckDB table; {len(got)} indicators, same answer")


# --- 4. start-up ------------------------------------------------------------------------------------
def fig_startup(cfg: dict[str, int], tmp: Path) -> None:
    exe = shutil.which("c2c") or str(Path(sys.executable).with_name("c2c"))

    def run(argv: list[str]) -> float:
        times = []
        for _ in range(cfg["startup_repeats"] + 1):
            t = time.perf_counter()
            subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
            times.append(time.perf_counter() - t)
        return min(times[1:])  # the first run warms the file cache

    base = run([sys.executable, "-c", "pass"])
    report(4, "start-up: c2c --help", run([exe, "--help"]), base, 0.3, "", kind="over")
    report(4, "start-up: c2c catalog list", run([exe, "catalog", "list"]), base, 0.3, "", kind="over")
    # Issue 19: a whole assess of one demo partnership, start-up included (the first run fills the definition
    # cache and the file cache; the best of the later ones is kept).
    demo = tmp / "demo"
    subprocess.run([exe, "init", str(demo), "--demo"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   check=True)
    argv = ["assess", "-w", str(demo), "bilbao-medellin"]
    report(4, "c2c assess bilbao-medellin (demo), wall", run([exe, *argv]),
           base, 0.35, "start-up, evaluation, scoring, snapshot and the terminal table; baseline: python -c pass",
           kind="wall")
    with Preloaded(exe, dict(os.environ)) as pre:
        report(4, "same, with `c2c preload` running", pre.run(argv, cfg["startup_repeats"]), base, 0.35,
               "each run issued once every worker is loaded, as a person types commands; the script's own start-up, "
               "the hand-over, evaluation, scoring, snapshot and table", kind="wall")
        report(4, "same, preloaded, commands back to back", pre.run(argv, cfg["startup_repeats"], back_to_back=True),
               base, None, "each run issued as soon as the previous one ended, while the worker replacing the one "
               "that took it loads (a script's use); no target", kind="wall")


# --- 5. scale ---------------------------------------------------------------------------------------
def _memory_cap(con: Any) -> None:
    """C2C_BENCH_MEMORY caps DuckDB (it spills to disk past it) on a shared machine; unset, DuckDB's default."""
    if os.environ.get("C2C_BENCH_MEMORY"):
        con.execute("SET memory_limit = ?", [os.environ["C2C_BENCH_MEMORY"]])


def _peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024


def _scale_ingest_child(cfg: dict[str, int], tmp: str, out: str) -> None:
    """Build the national workspace in its own process, so that its peak memory is its own."""
    import polars as pl
    import synth

    from c2c_monitor.definitions.catalog import load_catalogue
    from c2c_monitor.ingest.load import ingest
    from c2c_monitor.ingest.mapping import Mapping
    from c2c_monitor.store.schema import insert_frame

    cat = load_catalogue()
    root = Path(tmp)
    n_mun, quarters = cfg["scale_municipalities"], cfg["scale_quarters"]
    codes = synth.city_codes(cat)
    # ~70 variables: every reported code as a headline, plus a by-sex breakdown of the first ones.
    by_sex = codes[: max(0, 70 - len(codes)) // 2]
    t_gen = t_ingest = 0.0
    rows = 0
    with new_workspace(root / "ws") as ws:
        _memory_cap(ws.con)
        cities, parts = synth.partnership_rows(n_mun // 2)
        insert_frame(ws.con, "cities", cities)
        insert_frame(ws.con, "partnerships", pl.DataFrame(parts))
        ids = cities["city_id"].to_list()
        for q in range(quarters):
            t = time.perf_counter()
            year, quarter = synth.FIRST_YEAR + q // 4, q % 4 + 1
            frames = []
            for k, (code, _, lo, hi) in enumerate(codes):
                base = pl.Series(ids).hash(seed=k).cast(pl.Float64) / 2**64
                value = (lo + (hi - lo) * base * (1 + 0.002 * q)).clip(lo, hi).round(3)
                f = pl.DataFrame({"REF_AREA": ids, "OBS_VALUE": value})
                f = f.with_columns(pl.lit(code).alias("INDICATOR"), pl.lit("_T").alias("SEX"))
                frames.append(f)
                if (code, _, lo, hi) in by_sex:
                    frames.append(f.with_columns(pl.lit("F").alias("SEX")))
                    frames.append(f.with_columns(pl.lit("M").alias("SEX")))
            batch = pl.concat(frames).select(
                pl.lit("dataflow").alias("STRUCTURE"), pl.lit("C2C:C2C_CITY_SDG(1.0)").alias("STRUCTURE_ID"),
                pl.lit("I").alias("ACTION"), "REF_AREA", "INDICATOR", "SEX",
                pl.lit(f"{year}-Q{quarter}").alias("TIME_PERIOD"), "OBS_VALUE")
            path = root / f"q{q:02d}.csv"
            batch.write_csv(path)
            rows += batch.height
            del frames, batch
            t_gen += time.perf_counter() - t
            t = time.perf_counter()
            ingest(ws.con, cat, [path], Mapping())  # one quarterly feed = one vintage
            t_ingest += time.perf_counter() - t
            path.unlink()
            print(f"      scale: quarter {q + 1}/{quarters} loaded ({rows:,} rows so far, "
                  f"{t_ingest:.0f}s ingesting)", flush=True)
        groups = ws.con.execute("SELECT count(DISTINCT row_group_id) FROM pragma_storage_info('observations')"
                                ).fetchall()[0][0]
    Path(out).write_text(json.dumps({"rows": rows, "gen_s": t_gen, "ingest_s": t_ingest, "row_groups": groups,
                                     "ingest_peak_gb": _peak_gb()}))


def _scale_eval_child(tmp: str, out: str) -> None:
    """Evaluate every city indicator for every partnership of the built workspace, in a fresh process: the
    time and the peak memory (DuckDB's included) are the evaluation's alone."""
    from c2c_monitor.definitions.catalog import load_catalogue
    from c2c_monitor.engine.evaluate import evaluate
    from c2c_monitor.store.workspace import open_workspace

    cat = load_catalogue()
    with open_workspace(Path(tmp) / "ws") as ws:
        _memory_cap(ws.con)
        pids = [r[0] for r in ws.con.execute("SELECT partnership_id FROM partnerships ORDER BY 1").fetchall()]
        inds = [i for i in cat.ordered if i.family == "city"]
        t = time.perf_counter()
        res = evaluate(ws.con, inds, pids, backend="duckdb")
        t_eval = time.perf_counter() - t
    Path(out).write_text(json.dumps({"eval_s": t_eval, "result_rows": res.height, "partnerships": len(pids),
                                     "eval_peak_gb": _peak_gb()}))


def _child(target: Callable[..., None], *args: Any) -> tuple[dict[str, Any], float]:
    import multiprocessing

    out = Path(args[-1])
    ctx = multiprocessing.get_context("spawn")
    p = ctx.Process(target=target, args=args)
    t = time.perf_counter()
    p.start()
    p.join()
    wall = time.perf_counter() - t
    if p.exitcode != 0:
        raise SystemExit(f"scale run failed in {target.__name__} (exit {p.exitcode})")
    return json.loads(out.read_text()), wall


def fig_scale(cfg: dict[str, int], tmp: Path) -> None:
    built, wall_b = _child(_scale_ingest_child, cfg, str(tmp / "scale"), str(tmp / "scale-ingest.json"))
    ev, wall_e = _child(_scale_eval_child, str(tmp / "scale"), str(tmp / "scale-eval.json"))
    r = {**built, **ev}
    cap = os.environ.get("C2C_BENCH_MEMORY") or "DuckDB's default"
    print(f"[5] scale: {r['rows']:,} observations ({cfg['scale_municipalities']:,} municipalities x "
          f"{cfg['scale_quarters']} quarters), ingested in {cfg['scale_quarters']} quarterly feeds in "
          f"{r['ingest_s']:.0f}s (peak memory {r['ingest_peak_gb']:.1f} GB; wall {wall_b:.0f}s incl. "
          f"{r['gen_s']:.0f}s writing the CSV files); evaluated for {r['partnerships']:,} partnerships "
          f"({r['result_rows']:,} rows) in {r['eval_s']:.1f}s, peak memory {r['eval_peak_gb']:.1f} GB in its own "
          f"process (wall {wall_e:.0f}s); DuckDB memory limit: {cap}", flush=True)
    RESULTS.append({"figure": 5, "name": "scale", **r, "wall_s": round(wall_b + wall_e, 1),
                    "met": max(r["ingest_peak_gb"], r["eval_peak_gb"]) < 24})
    interactive(cfg, tmp / "scale" / "ws", cfg["scale_municipalities"] // 2)


def _profiled(db: Path, sql: str, params: list[Any]) -> dict[str, Any]:
    """Run `sql` on a read-only connection with DuckDB's JSON profiler on; the query section of its profile."""
    import duckdb

    prof = db.with_name("profile.json")
    con = duckdb.connect(str(db), read_only=True)
    try:
        con.execute("PRAGMA enable_profiling = 'json'")
        con.execute(f"PRAGMA profiling_output = '{prof}'")
        con.execute(sql, params).fetchall()
    finally:
        con.close()
    q: dict[str, Any] = json.loads(prof.read_text())["query"]
    return q


def interactive(cfg: dict[str, int], root: Path, n_parts: int) -> None:
    """One partnership in the national workspace: the CLI's wall times and the row groups its reads touch."""
    import duckdb

    exe = shutil.which("c2c") or str(Path(sys.executable).with_name("c2c"))
    db = root / "workspace.duckdb"
    pid, other = f"p{n_parts // 3:06d}", f"p{2 * n_parts // 3:06d}"
    con = duckdb.connect(str(db), read_only=True)
    eu, partner = con.execute("SELECT european_city_id, partner_city_id FROM partnerships WHERE partnership_id = ?",
                              [pid]).fetchall()[0]
    con.close()
    # The bare baseline: the two cities' rows, straight from the file (what assess has to read at least).
    bare = ("SELECT * FROM observations WHERE city_id IN (SELECT unnest(?::VARCHAR[]))")

    def bare_run() -> int:
        c = duckdb.connect(str(db), read_only=True)
        n = len(c.execute(bare, [[eu, partner]]).fetchall())
        c.close()
        return n

    base_t, n_rows = best(bare_run, cfg["repeats"] + 2)
    q = _profiled(db, bare, [[eu, partner]])
    print(f"[6] EXPLAIN ANALYZE, the two cities' rows of {pid}: {q['total_row_groups_scanned']} of "
          f"{q['total_row_groups_to_scan']} row groups scanned, {q['total_rows_scanned']:,} rows read for "
          f"{n_rows:,} rows returned", flush=True)
    # The evaluation's own read of the observations (the current headline series its city indicators use,
    # engine/evaluate._cities_duckdb), as it runs for this partnership.
    from c2c_monitor.definitions.catalog import load_catalogue
    from c2c_monitor.store.reads import NO_LIMIT, current_headline_sql

    codes = sorted({i.observation_code for i in load_catalogue().ordered if i.family == "city"})
    q = _profiled(db, current_headline_sql(), [NO_LIMIT, sorted([eu, partner]), codes])
    print(f"[6] EXPLAIN ANALYZE, the evaluation's staging read: {q['total_row_groups_scanned']} of "
          f"{q['total_row_groups_to_scan']} row groups scanned", flush=True)
    env = {**os.environ, "C2C_WORKSPACE": str(root)}

    def cli(argv: list[str]) -> float:
        times = []
        for _ in range(cfg["repeats"] + 1):
            t = time.perf_counter()
            subprocess.run([exe, *argv], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=True, env=env)
            times.append(time.perf_counter() - t)
        return min(times[1:])  # the first run warms the file cache

    report(6, f"national: c2c assess {pid}", cli(["assess", pid]), base_t, 1.0,
           f"wall, start-up included; baseline: a bare DuckDB read of its cities' {n_rows:,} rows", kind="wall")
    report(6, f"national: c2c compare {pid} {other}", cli(["compare", pid, other]), base_t, 1.5, "", kind="wall")
    out = root.parent / "site"
    report(6, f"national: c2c publish {pid} --no-pdf", cli(["publish", pid, "--no-pdf", "-q", "-o", str(out)]),
           base_t, 1.5, "", kind="wall")
    with Preloaded(exe, env) as pre:
        report(6, f"national, preloaded: c2c assess {pid}", pre.run(["assess", pid], cfg["repeats"]), base_t, 1.0,
               "with `c2c preload` running, each run issued once every worker is loaded", kind="wall")
        report(6, f"national, preloaded: c2c compare {pid} {other}", pre.run(["compare", pid, other], cfg["repeats"]),
               base_t, 1.5, "", kind="wall")
        report(6, f"national, preloaded: c2c publish {pid} --no-pdf",
               pre.run(["publish", pid, "--no-pdf", "-q", "-o", str(out)], cfg["repeats"]), base_t, 1.5, "",
               kind="wall")


FIGURES = {"evaluate": fig_evaluate, "ingest": fig_ingest, "publish": fig_publish, "startup": fig_startup,
           "scoring": fig_scoring, "programme": fig_programme, "scale": fig_scale}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", "--sizes", dest="size", choices=sorted(SIZES), default="full")
    ap.add_argument("--only", help="comma-separated: " + ",".join(FIGURES))
    ap.add_argument("--json", help="also write the figures to this file")
    ap.add_argument("--scoring-sizes", help="comma-separated cohort sizes of figure 7 (default: the size's)")
    args = ap.parse_args()
    # The CLI figures time `c2c` as an installed tool runs: the first (discarded) run writes the bytecode cache.
    # A shell with PYTHONDONTWRITEBYTECODE would have every timed run recompile each module edited since its
    # last cached copy (0.1-0.3 s of a start-up).
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    cfg = dict(SIZES[args.size])
    if args.scoring_sizes:
        cfg["scoring_sizes"] = [int(n) for n in args.scoring_sizes.split(",")]
    wanted = args.only.split(",") if args.only else list(FIGURES)
    unknown = set(wanted) - set(FIGURES)
    if unknown:
        ap.error(f"unknown figure(s): {', '.join(sorted(unknown))}")
    print(f"c2c-monitor benchmarks ({args.size}) on {platform.node()}: {platform.platform()}, "
          f"{os.cpu_count()} cores, Python {platform.python_version()}, {time.strftime('%Y-%m-%d %H:%M')}",
          flush=True)
    with tempfile.TemporaryDirectory(prefix="c2c-bench-") as d:
        for name in wanted:
            sub = Path(d) / name
            sub.mkdir()
            FIGURES[name](cfg, sub)
    if args.json:
        Path(args.json).write_text(json.dumps(RESULTS, indent=2))
    missed = [r for r in RESULTS if not r["met"]]
    print(f"{len(RESULTS)} figure(s), {len(missed)} target(s) missed", flush=True)


if __name__ == "__main__":
    main()
