"""One partnership, interactively (issue 19): what `c2c assess` loads and how many statements it sends.

Behaviour, not timing: the modules a command imports (a command loads only its own module; no pyarrow on the
read path) and the number of DuckDB statements of one assessment, both of which only grow by someone's change.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

PID = "bilbao-medellin"

# Run a command in a fresh interpreter and report which of these module families it imported.
_PROBE = """
import json, sys
sys.argv = ["c2c", *{args!r}]
from c2c_monitor.cli import cli
try:
    cli.main(prog_name="c2c", standalone_mode=False)
finally:
    print(json.dumps(sorted(m for m in sys.modules if m.startswith({prefixes!r}))), file=sys.stderr)
"""


def _imported(args: list[str], prefixes: tuple[str, ...]) -> set[str]:
    env = {k: v for k, v in os.environ.items() if k != "C2C_WORKSPACE"}
    res = subprocess.run([sys.executable, "-c", _PROBE.format(args=args, prefixes=prefixes)], env=env,
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    return set(json.loads(res.stderr.strip().splitlines()[-1]))


def test_assess_loads_its_own_command_only(demo_copy: Path) -> None:
    mods = _imported(["assess", PID, "-w", str(demo_copy)],
                     ("c2c_monitor.cli.", "c2c_monitor.publish", "c2c_monitor.workshop", "jinja2"))
    assert "c2c_monitor.cli.assess" in mods  # the probe saw the command run
    others = {m for m in mods if m.startswith("c2c_monitor.cli.")} - {
        "c2c_monitor.cli.assess", "c2c_monitor.cli.context", "c2c_monitor.cli.complete", "c2c_monitor.cli.messages",
        "c2c_monitor.cli.tree"}
    assert others == set()
    assert not {m for m in mods if not m.startswith("c2c_monitor.cli.")}, "publishing or workshop code loaded"


def test_assess_with_cached_definitions_does_not_import_pyyaml(demo_copy: Path) -> None:
    """Every definition `assess` reads comes from the cache (store/catalog_cache) after a first run, so PyYAML,
    imported by definitions/yamlload.py only when a YAML text is read, is not loaded at all."""
    args = ["assess", PID, "-w", str(demo_copy)]
    _imported(args, ("yaml",))  # a first run fills the cache (if another test has not)
    assert _imported(args, ("yaml",)) == set()


def test_help_still_lists_every_command() -> None:
    from click.testing import CliRunner

    from c2c_monitor.cli import COMMANDS, cli

    res = CliRunner().invoke(cli, ["--help"])
    assert res.exit_code == 0
    listed = {line.split()[0] for line in res.output.split("Commands:")[1].splitlines() if line.strip()}
    assert listed == set(COMMANDS)
    for name in COMMANDS:
        assert CliRunner().invoke(cli, [name, "--help"]).exit_code == 0, name


def test_assess_does_not_import_pyarrow(demo_copy: Path) -> None:
    assert _imported(["assess", PID, "-w", str(demo_copy), "--format", "json"], ("pyarrow",)) == set()


def test_store_reads_do_not_use_pyarrow() -> None:
    """DuckDB's `.pl()` and `.arrow()` import pyarrow; the store's reads go through the Arrow stream instead."""
    root = Path(__file__).resolve().parent.parent / "c2c_monitor"
    for path in [*(root / "store").glob("*.py"), *(root / "engine").glob("*.py"), *(root / "score").glob("*.py"),
                 *(root / "cli").glob("*.py")]:
        text = path.read_text(encoding="utf-8")
        assert ".pl()" not in text.replace("`.pl()`", "") and ".arrow()" not in text, path


class _Counting:
    """A connection that counts the statements sent through it."""

    def __init__(self, con: Any) -> None:
        self._con = con
        self.statements: list[str] = []

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._con, name)
        if name not in ("execute", "sql", "query", "table", "executemany"):
            return attr

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.statements.append(str(args[0]) if args else name)
            return attr(*args, **kwargs)
        return counted


def test_one_assessment_sends_a_bounded_number_of_statements(demo_copy: Path) -> None:
    """Today 54 (for a partnership with two workshop rounds): the evaluation's staging and one query per
    indicator, then one read per table of the partnership's own data. The bound catches a read per indicator
    row, per question or per round added outside the evaluation (this partnership shows 33 indicator rows)."""
    from c2c_monitor.score.assess import build_scoreboard, store_snapshot
    from c2c_monitor.store.catalog_cache import framework
    from c2c_monitor.store.workspace import Workspace, open_workspace

    with open_workspace(demo_copy) as ws:
        counting = _Counting(ws.con)
        probe = Workspace(ws.root, counting, ws.config)  # type: ignore[arg-type]
        fw = framework()
        sb = build_scoreboard(probe, PID, framework=fw)
        store_snapshot(probe, sb)
    assert len(sb.indicators) > 30 and sb.round_id is not None
    assert len(counting.statements) <= 60, "\n".join(counting.statements)
    assert sum(s.lstrip().upper().startswith("INSERT") for s in counting.statements) == 1  # the snapshot


def test_local_targets_of_some_cities_are_those_of_the_whole_table(demo_copy: Path) -> None:
    """A scoreboard reads its own cities' targets only; they are the same as in the whole table's read."""
    from c2c_monitor.store import reads
    from c2c_monitor.store.workspace import open_workspace

    with open_workspace(demo_copy) as ws:
        con = ws.con
        con.execute("INSERT INTO targets SELECT code, city_id || '-x', value * 2, year, source, vintage_id "
                    "FROM targets")
        every = reads.local_targets(con, None)
        cities = sorted({k[1] for k in every})[:3]
        some = reads.local_targets(con, None, cities)
    assert some and set(some) < set(every)
    assert some == {k: v for k, v in every.items() if k[1] in cities}


def test_partnerships_without_a_round_get_the_views_the_full_pass_gives(demo_copy: Path, monkeypatch: Any) -> None:
    """A cohort in which nobody held a workshop round skips the ratings' reads and frames: its views must be the
    ones the full pass makes for the same partnership beside one that held rounds."""
    import pytest

    from c2c_monitor.errors import C2CError
    from c2c_monitor.score import rounds
    from c2c_monitor.score.assess import thresholds_of
    from c2c_monitor.score.rounds import round_views
    from c2c_monitor.store.catalog_cache import framework
    from c2c_monitor.store.workspace import open_workspace

    fw = framework()
    with open_workspace(demo_copy) as ws:
        con = ws.con
        quiet, other = [r[0] for r in con.execute("SELECT partnership_id FROM partnerships ORDER BY 1 LIMIT 2")
                        .fetchall()]
        for table in ("rounds", "ratings", "agreed", "group_types"):
            con.execute(f"DELETE FROM {table} WHERE partnership_id = ?", [quiet])
        t = thresholds_of(ws.config)
        read = rounds.reads.rounds_rating_rows
        for lang, step in (("en", None), ("fr", 2)):
            monkeypatch.setattr(rounds.reads, "rounds_rating_rows", None)  # not read when nobody held a round
            alone = round_views(con, fw, [quiet], None, t, lang, None, {quiet: step})
            monkeypatch.setattr(rounds.reads, "rounds_rating_rows", read)
            beside = round_views(con, fw, [quiet, other], None, t, lang, None, {quiet: step, other: None})
            assert beside[other].current is not None  # the full pass ran
            assert alone == {quiet: beside[quiet]}
            assert alone[quiet].current is None and len(alone[quiet].principles) == len(fw.principles)
        with pytest.raises(C2CError, match="no workshop round"):
            round_views(con, fw, [quiet], None, t, "en", "R1", {})


def test_the_c2c_script_loads_only_the_standard_library_before_it_knows_whether_a_worker_takes_over() -> None:
    """`entry` asks for a preloaded worker first (`c2c preload`): that look must not cost the imports it saves."""
    probe = ("import sys\nbefore = set(sys.modules)\nimport c2c_monitor.cli.preload_client\n"
             "print(' '.join(sorted(set(sys.modules) - before)))\n")
    res = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    loaded = set(res.stdout.split())
    ours = {m for m in loaded if m.split(".")[0] == "c2c_monitor"}
    assert ours == {"c2c_monitor", "c2c_monitor.cli", "c2c_monitor.cli.preload_client"}
    others = {m.split(".")[0] for m in loaded - ours}
    assert others <= set(sys.stdlib_module_names) | {"__future__"}, others - set(sys.stdlib_module_names)
    assert "click" not in loaded and "json" in loaded  # the probe saw the client's own imports
