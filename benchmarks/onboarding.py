"""Onboarding a city's Open SDG platform: `map suggest` + `ingest --map` + `assess`, against a bare polars read.

    python benchmarks/onboarding.py                      # Barcelona's full folder (../shared/data/real)
    python benchmarks/onboarding.py --repeat 3 DIR --city barcelona

Issue 15: the whole onboarding of Barcelona's folder (221 indicator files, 280 metadata files) should take
under 2 s here. The floor is polars reading the same CSVs (every file, all columns as text, as the readers do);
the figure is each step's time over that floor (best of `--repeat`), into a fresh copy of a demo workspace.
Also printed: whether PyYAML's C loader (CSafeLoader) is in use for the metadata.
"""

from __future__ import annotations

import argparse
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
DEFAULT = HERE.parent.parent / "shared" / "data" / "real" / "barcelona-open-sdg"


def bare_read(folder: Path) -> int:
    import polars as pl

    n = 0
    for f in sorted((folder / "data").glob("indicator_*.csv")):
        n += pl.read_csv(f, infer_schema=False).height
    return n


def best(fn, repeat: int) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("folder", nargs="?", type=Path, default=DEFAULT)
    ap.add_argument("--city", default="barcelona")
    ap.add_argument("--partnership", default="barcelona-maputo")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    import yaml

    from c2c_monitor.definitions.yamlload import loader_class
    from c2c_monitor.ingest.demo import fill_demo
    from c2c_monitor.ingest.load import ingest
    from c2c_monitor.ingest.mapping import load_mapping
    from c2c_monitor.ingest.metadata import forget_parsed
    from c2c_monitor.ingest.series import read_series
    from c2c_monitor.ingest.suggest import render_yaml, suggest
    from c2c_monitor.score.assess import build_scoreboard, workspace_catalogue
    from c2c_monitor.store.workspace import init_workspace, open_workspace

    with tempfile.TemporaryDirectory() as tmp_s:
        tmp = Path(tmp_s)
        demo = tmp / "demo"
        init_workspace(demo, "bench")
        with open_workspace(demo) as ws:
            fill_demo(ws.con)
            cat = workspace_catalogue(ws)
        floor, rows = best(lambda: bare_read(args.folder), args.repeat)
        mapping_file = tmp / "mapping.yaml"

        # The CLI runs each step in a process of its own: what a step parsed (metadata front matter, kept by
        # content within a process) must not make the next step or the next repeat look cheaper.
        def do_suggest() -> int:
            forget_parsed()
            series, meta, skipped, _ = read_series([args.folder])
            text = render_yaml(suggest(series, cat, [args.city], args.folder), args.city, [str(args.folder)],
                               meta.files, skipped, args.folder)
            mapping_file.write_text(text, encoding="utf-8")
            return len(series)

        def do_ingest() -> str:
            forget_parsed()
            ws_dir = tmp / "ws"
            shutil.rmtree(ws_dir, ignore_errors=True)
            shutil.copytree(demo, ws_dir)
            with open_workspace(ws_dir) as ws:
                s = ingest(ws.con, cat, [args.folder], load_mapping(mapping_file, [], None))
            return "; ".join(s.loaded_where)

        def do_assess() -> int:
            with open_workspace(tmp / "ws") as ws:
                return len(build_scoreboard(ws, args.partnership, "long", catalogue=cat).local_indicators)

        t_suggest, n_series = best(do_suggest, args.repeat)
        t_ingest, where = best(do_ingest, args.repeat)
        t_assess, n_local = best(do_assess, args.repeat)
    total = t_suggest + t_ingest + t_assess
    print(f"machine: {platform.machine()}, {platform.python_version()}, polars floor read of {rows} rows")
    print(f"YAML loader: {loader_class().__name__} (libyaml {'present' if yaml.__with_libyaml__ else 'absent'})")
    print(f"folder: {args.folder.name}, {n_series} series; loaded: {where}; scoreboard shows {n_local} local")
    print(f"bare polars read      {floor:8.3f} s   1.00x")
    for name, t in (("map suggest", t_suggest), ("ingest --map", t_ingest), ("assess", t_assess),
                    ("whole onboarding", total)):
        print(f"{name:<20}  {t:8.3f} s  {t / floor:5.1f}x")
    print(f"target: whole onboarding under 2 s: {'met' if total < 2 else 'NOT met'} ({total:.2f} s, best of "
          f"{args.repeat})")


if __name__ == "__main__":
    main()
