"""Golden outputs: what the demo produces, saved before a structural change and compared after.

`python -m tests.golden.capture DIR` writes the outputs to DIR (the test writes them to a temporary folder
and compares them with `tests/golden/expected/`, byte for byte once the clock is taken out). What is
captured: `c2c assess P --format json` for every demo partnership, the terminal scoreboard of two, the
`c2c compare` JSON of one partnership over time and of three side by side, and the published site's HTML
and data files (PDFs aside: their bytes carry the engine's own metadata).
"""

from __future__ import annotations

import re
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner

TERMINAL = ["bonn-cape-coast", "lisbon-praia"]
SIDE_BY_SIDE = ["bonn-cape-coast", "lisbon-praia", "milan-dakar"]

# Instants of the run itself: the vintages' load times, "generated at", snapshot times.
_STAMP = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?")


def normalise(text: str, today: str) -> str:
    """Take the clock out: timestamps of this run, and today's date where a page prints it alone."""
    text = _STAMP.sub("<TIMESTAMP>", text)
    return text.replace(today, "<TODAY>")


def _run(runner: CliRunner, args: list[str]) -> str:
    from c2c_monitor.cli import cli

    res = runner.invoke(cli, args, catch_exceptions=False)
    if res.exit_code != 0:
        raise RuntimeError(f"c2c {' '.join(args)} exited {res.exit_code}: {res.output}")
    return res.stdout


def capture(out: Path, work: Path) -> list[Path]:
    """Build a demo workspace in `work` and write every golden output under `out`; returns the files written."""
    from c2c_monitor.cli import cli  # noqa: F401  (the command tree is what is exercised)

    today = datetime.now(UTC).date().isoformat()
    runner = CliRunner()
    ws = work / "ws"
    _run(runner, ["init", str(ws), "--demo"])
    pids = [line.split()[0] for line in _run(runner, ["partnerships", "-w", str(ws)]).splitlines() if line.strip()]
    written: list[Path] = []

    def save(name: str, text: str) -> None:
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(normalise(text, today), encoding="utf-8")
        written.append(path)

    for pid in pids:
        save(f"assess/{pid}.json", _run(runner, ["assess", pid, "-w", str(ws), "--format", "json"]))
    for pid in TERMINAL:
        save(f"terminal/{pid}.txt", _run(runner, ["assess", pid, "-w", str(ws)]))
    save("compare/over-time.json", _run(runner, ["compare", TERMINAL[0], "-w", str(ws), "--format", "json"]))
    save("compare/side-by-side.json", _run(runner, ["compare", *SIDE_BY_SIDE, "-w", str(ws), "--format", "json"]))
    site = work / "site"
    _run(runner, ["publish", *SIDE_BY_SIDE, "-w", str(ws), "--output", str(site), "--no-pdf"])
    for f in sorted(site.rglob("*")):
        if f.is_file() and f.suffix in {".html", ".csv", ".json", ".md", ".txt", ".svg", ".css", ".xml"}:
            save(f"site/{f.relative_to(site).as_posix()}", f.read_text(encoding="utf-8"))
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1])
    if target.exists():
        shutil.rmtree(target)
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        files = capture(target, Path(tmp))
    print(f"{len(files)} golden files in {target}")
