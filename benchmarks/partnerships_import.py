"""`c2c partnerships import` of a large XLSX against a bare openpyxl read-only pass over the same file.

    python benchmarks/partnerships_import.py               # 200,000 rows (issue 22's case)
    python benchmarks/partnerships_import.py --rows 5000   # seconds

Issue 22: 200,000 rows took about 12 minutes (3.3 ms a row). The import reads the sheet with openpyxl in
read-only mode, so the floor is that read; the figure is import time / bare read time (best of `--repeat`),
into a fresh workspace each time (every row a new partnership, two new cities each: the most writing).
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


def make_xlsx(path: Path, rows: int) -> None:
    from openpyxl import Workbook

    from c2c_monitor.ingest.partnerships import COLUMNS

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("partnerships")
    ws.append(COLUMNS)
    for i in range(rows):
        ws.append([f"p-{i:06d}", f"Partnership {i}", f"eu-{i:06d}", f"European city {i}", "Germany", 100000 + i,
                   f"pa-{i:06d}", f"Partner city {i}", "Ghana", 50000 + i, "Urban mobility", "11,13",
                   2000 + i % 25, 1000.0 * (i % 997), f"Description of partnership {i}."])
    wb.save(path)


def bare_read(path: Path) -> int:
    """The floor: every cell's value through openpyxl's read-only iterator, nothing else."""
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    n = 0
    for row in wb.worksheets[0].iter_rows(values_only=True):
        n += len(row)
    wb.close()
    return n


def import_once(path: Path, tmp: Path) -> dict[str, int]:
    from c2c_monitor.ingest.partnerships import import_partnerships
    from c2c_monitor.store.workspace import init_workspace, open_workspace

    ws_dir = tmp / "ws"
    shutil.rmtree(ws_dir, ignore_errors=True)
    init_workspace(ws_dir, "bench")
    with open_workspace(ws_dir) as ws:
        return import_partnerships(ws.con, path)


def best(f: object, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        f()  # type: ignore[operator]
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    import duckdb
    import openpyxl
    import polars

    print(f"python {platform.python_version()}, openpyxl {openpyxl.__version__}, polars {polars.__version__}, "
          f"duckdb {duckdb.__version__}, {platform.machine()}")
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        xlsx = tmp / "partnerships.xlsx"
        t = time.perf_counter()
        make_xlsx(xlsx, args.rows)
        print(f"generated {args.rows:,} rows ({xlsx.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - t:.1f} s")
        base = best(lambda: bare_read(xlsx), args.repeat)
        result: dict[str, int] = {}

        def run() -> None:
            result.update(import_once(xlsx, tmp))

        eng = best(run, args.repeat)
        assert result["new"] == args.rows, result
        print(f"bare openpyxl read-only pass: {base:.2f} s")
        print(f"c2c partnerships import:      {eng:.2f} s ({eng / args.rows * 1e6:.0f} us a row; {result})")
        print(f"ratio import / bare read: {eng / base:.2f}x")


if __name__ == "__main__":
    main()
