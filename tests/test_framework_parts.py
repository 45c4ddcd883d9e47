"""Issue 18, part B: the action plan (seed 001 Annex 4), the partnership stage (seed 000), partner types
(seed 003) and the council summary, each on the demo and on bad input.

Commands run in this process (`c2c_monitor.cli.main`, the same entry point as the `c2c` script, exit codes
included) to keep the suite fast; the PDF is rendered once for the module.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import sys
from pathlib import Path

import duckdb
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import pdf_text

PID = "bonn-cape-coast"


def c2c(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run `c2c ARGS` in this process: (exit code, stdout, stderr)."""
    from c2c_monitor.cli import main

    monkeypatch.setattr(sys, "argv", ["c2c", *args])
    monkeypatch.delenv("C2C_WORKSPACE", raising=False)
    capsys.readouterr()
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def state(ws: Path) -> str:
    """A digest of every table of the store, to prove a rejected command changed nothing (each table's row
    count and the XOR of its rows' hashes, computed in DuckDB: the demo's ratings are too many to repr)."""
    con = duckdb.connect(str(ws / "workspace.duckdb"), read_only=True)
    try:
        tables = [t for (t,) in con.execute("SELECT table_name FROM information_schema.tables "
                                            "WHERE table_type = 'BASE TABLE' ORDER BY 1").fetchall()]
        return repr([(t, con.execute(f'SELECT count(*), bit_xor(hash(r)) FROM "{t}" AS r').fetchone())
                     for t in tables])
    finally:
        con.close()


@pytest.fixture
def ws(demo_copy: Path) -> Path:
    return demo_copy


@pytest.fixture(scope="module")
def unchanged_ws(demo_ws: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One copy for every test of a command that must be refused: each proves it wrote nothing."""
    dst = tmp_path_factory.mktemp("refused") / "ws"
    shutil.copytree(demo_ws, dst)
    return dst


# --- 1. the action plan -------------------------------------------------------------------------------------
def test_old_action_ids_migrate_to_short_ids_and_stay_as_aliases(tmp_path: Path) -> None:
    from c2c_monitor.store import reads, schema
    from c2c_monitor.workshop.actions import resolve

    con = duckdb.connect()
    for stmt in schema.MIGRATIONS[1]:  # a store as the first release left it
        con.execute(stmt)
    con.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    con.execute("INSERT INTO vintages VALUES (1, now(), 'x', 'action', NULL, NULL, 1, NULL), "
                "(2, now(), 'x', 'action', NULL, NULL, 1, NULL)")
    old = [("p1-A1", "p1", "P09", "open", 1), ("p1-A2", "p1", "P05", "open", 1), ("p1-A10", "p1", "P04", "open", 1),
           ("p1-A1", "p1", "P09", "done", 2), ("3fa9c2e1", "p2", "P01", "open", 2)]
    for aid, pid, principle, status, vid in old:
        con.execute("INSERT INTO actions VALUES (?, ?, ?, NULL, 'text', NULL, NULL, ?, ?)",
                    [aid, pid, principle, status, vid])
    schema.migrate(con, tmp_path / "old.duckdb")
    got = {(r[0], r[1], r[2]) for r in con.execute("SELECT DISTINCT partnership_id, alias, action_id FROM actions")
           .fetchall()}
    # Numbered per partnership in the order first recorded (A10 after A2, not before it); every version mapped.
    assert got == {("p1", "p1-A1", "A-001"), ("p1", "p1-A2", "A-002"), ("p1", "p1-A10", "A-003"),
                   ("p2", "3fa9c2e1", "A-001")}
    assert con.execute("SELECT count(*) FROM actions WHERE principles IS DISTINCT FROM principle_id").fetchone() == (0,)
    assert [r[6] for r in reads.action_versions(con, "p1", None) if r[0] == "A-001"] == ["done"]
    assert resolve(con, "p1-A10", None) == ("p1", "A-003")  # the old id still finds the action
    version = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    assert version == (str(schema.SCHEMA_VERSION),)


def test_actions_get_stable_ids_and_every_change_is_kept(ws: Path, monkeypatch, capsys) -> None:
    w = str(ws)
    code, out, err = c2c(monkeypatch, capsys, "workshop", "action", "add", PID, "-w", w, "--principle", "P08,P02",
                         "--text", "Map the actors of the mobility plan", "--enablers", "Two staff days a month",
                         "--owner", "Mobility department", "--priority", "5", "--timeframe", "2030-Q2")
    assert code == 0, err
    assert out.strip() == "A-004"  # the demo has A-001 ... A-003
    assert c2c(monkeypatch, capsys, "workshop", "action", "set", "A-004", "-p", PID, "-w", w, "--priority", "3",
               "--status", "in progress")[0] == 0
    assert c2c(monkeypatch, capsys, "workshop", "action", "set", "A-004", "-p", PID, "-w", w, "--status",
               "dropped")[0] == 0
    code, out, _ = c2c(monkeypatch, capsys, "workshop", "action", "add", PID, "-w", w, "--principle", "P01",
                       "--text", "Another one")
    assert out.strip() == "A-005"  # a dropped action keeps its number
    code, out, _ = c2c(monkeypatch, capsys, "workshop", "action", "history", "A-004", "-p", PID, "-w", w,
                       "--format", "json")
    versions = json.loads(out)["versions"]
    assert [v["changed"] for v in versions] == [
        "created", "status: 'open' -> 'in progress'; priority: 5 -> 3", "status: 'in progress' -> 'dropped'"]
    assert all(v["who"] and v["when"].endswith("Z") for v in versions)
    code, out, _ = c2c(monkeypatch, capsys, "workshop", "actions", PID, "-w", w, "--format", "json")
    mine = next(a for a in json.loads(out) if a["id"] == "A-004")
    assert (mine["principles"], mine["enablers"], mine["timeframe"], mine["due"], mine["priority"]) == (
        ["P08", "P02"], "Two staff days a month", "2030-Q2", "2030-06-30", 3)


def test_the_plan_exports_as_the_annex_4_template_and_reads_back(ws: Path, tmp_path: Path, monkeypatch,
                                                                  capsys) -> None:
    from openpyxl import load_workbook

    w = str(ws)
    assert c2c(monkeypatch, capsys, "workshop", "action", "add", PID, "-w", w, "--principle", "P09", "--text",
               "=1+2 budget line", "--owner", "@finance", "--priority", "2")[0] == 0
    code, text, _ = c2c(monkeypatch, capsys, "workshop", "actions", PID, "-w", w, "--format", "csv")
    rows = list(csv.reader(io.StringIO(text)))
    # The template's columns in the template's order, then what monitoring adds.
    assert rows[0][:6] == ["Id", "Action", "Enablers / resources required", "Owner",
                           "Priority (1-5, 1 = low, 5 = high)", "Agreed timeframe for delivery"]
    assert rows[0][6:9] == ["Status", "Principle(s)", "Round"]
    mine = next(r for r in rows if r[0] == "A-004")
    assert mine[1] == "'=1+2 budget line" and mine[3] == "'@finance"  # neutralised, not evaluated
    xlsx = tmp_path / "plan.xlsx"
    assert c2c(monkeypatch, capsys, "workshop", "actions", PID, "-w", w, "--format", "xlsx", "-o", str(xlsx))[0] == 0
    sheet = load_workbook(xlsx).active
    assert [c.value for c in sheet[1]][:6] == rows[0][:6]
    assert {r[1].value: r[1].data_type for r in sheet.iter_rows(min_row=2)}["'=1+2 budget line"] == "s"
    # Loading the plan exactly as exported changes nothing, and says so (not exit 0).
    before = state(ws)
    code, _, err = c2c(monkeypatch, capsys, "workshop", "action", "import", PID, str(xlsx), "-w", w)
    assert code == 1 and "nothing to load" in err and state(ws) == before
    # A facilitator fills in the plan: one priority raised, one new action without an id.
    for row in sheet.iter_rows(min_row=2):
        if row[0].value == "A-002":
            row[4].value = 5
    sheet.append([None, "Hold a council hearing", "Council secretariat", "Mayor's office", 4, "2031", "open",
                  "P02, P08", None, None])
    sheet.parent.save(xlsx)
    code, _, err = c2c(monkeypatch, capsys, "workshop", "action", "import", PID, str(xlsx), "-w", w)
    assert code == 0, err
    assert "1 added, 1 changed" in err
    code, out, _ = c2c(monkeypatch, capsys, "workshop", "actions", PID, "-w", w, "--format", "json")
    plan = {a["id"]: a for a in json.loads(out)}
    assert plan["A-002"]["priority"] == 5 and plan["A-005"]["text"] == "Hold a council hearing"
    assert plan["A-005"]["principles"] == ["P02", "P08"] and plan["A-005"]["due"] == "2031-12-31"


PLAN_HEADER = "Id,Action,Owner,\"Priority (1-5, 1 = low, 5 = high)\",Agreed timeframe for delivery,Principle(s)\n"


BAD_PLAN_ROWS = [
    (',Fix the bus lanes,Mobility,7,2027,P01', "column 'Priority (1-5, 1 = low, 5 = high)'", "1 (low) to 5"),
    (',Fix the bus lanes,Mobility,high,2027,P01', "column 'Priority (1-5, 1 = low, 5 = high)'", "1 (low) to 5"),
    (',Fix the bus lanes,Mobility,3,2027,P11', "column 'Principle(s)'", "unknown principle"),
    (',Fix the bus lanes,Mobility,3,2027-Q5,P01', "column 'Agreed timeframe for delivery'", "quarters 1 to 4"),
    (',Fix the bus lanes,Mobility,3,2027-02-30,P01', "column 'Agreed timeframe for delivery'", "not a date"),
    ('A-099,Fix the bus lanes,Mobility,3,2027,P01', "column 'Id'", "not an action of this partnership"),
    (',,Mobility,3,2027,P01', "column 'Action'", "needs a text"),
]


def test_a_bad_plan_is_refused_with_its_place_and_changes_nothing(unchanged_ws: Path, tmp_path: Path, monkeypatch,
                                                                  capsys) -> None:
    before = state(unchanged_ws)
    for row, where, message in BAD_PLAN_ROWS:
        plan = tmp_path / "plan.csv"
        plan.write_text(PLAN_HEADER + ",Good row,Owner,2,2027,P05\n" + row + "\n", encoding="utf-8")
        code, _, err = c2c(monkeypatch, capsys, "workshop", "action", "import", PID, str(plan), "-w",
                           str(unchanged_ws))
        assert code == 2 and f"plan.csv line 3, {where}" in err and message in err, (row, err)
        assert "Traceback" not in err
    assert state(unchanged_ws) == before


BAD_ACTION_OPTIONS = [
    (["action", "add", PID, "--principle", "P01", "--text", "x", "--priority", "7"], "7 is not in the range"),
    (["action", "add", PID, "--principle", "P01", "--text", "x", "--timeframe", "soon"], "not a period"),
    (["action", "set", "A-001", "--status", "done"], "several partnerships"),
    (["action", "set", "A-077", "-p", PID, "--status", "done"], "unknown action"),
    (["action", "history", "A-001", "-p", "atlantis"], "unknown partnership"),
    (["actions", PID, "--format", "xlsx"], "--output"),
]


def test_bad_action_options_change_nothing(unchanged_ws: Path, monkeypatch, capsys) -> None:
    before = state(unchanged_ws)
    for args, message in BAD_ACTION_OPTIONS:
        code, _, err = c2c(monkeypatch, capsys, "workshop", *args, "-w", str(unchanged_ws))
        assert code == 2 and message in err, (args, err)
    assert state(unchanged_ws) == before


def test_overdue_and_high_priority_actions_lead(demo_ws: Path) -> None:
    import datetime as dt

    from c2c_monitor.score.assess import action_rows
    from c2c_monitor.store.workspace import open_workspace

    with open_workspace(demo_ws) as w:
        for pid in ("bonn-cape-coast", "lisbon-praia", "milan-dakar"):
            for today in (dt.date(2023, 1, 1), dt.date(2023, 8, 1), dt.date(2030, 1, 1)):
                rows = action_rows(w.con, pid, None, today)
                rank = [0 if a.overdue else 1 if a.high_priority else 2 for a in rows]
                assert rank == sorted(rank), (pid, today, rank)
                for a in rows:  # the flags agree with the fields they come from
                    assert a.overdue == (a.due is not None and a.due < today.isoformat()
                                         and a.status not in ("done", "dropped"))
                    assert a.high_priority == (a.priority is not None and a.priority >= 4
                                               and a.status not in ("done", "dropped"))


# --- 2. partnership stage -----------------------------------------------------------------------------------
def test_the_stage_is_recorded_with_its_history_and_said(ws: Path, monkeypatch, capsys) -> None:
    w = str(ws)
    assert c2c(monkeypatch, capsys, "partnerships", "stage", PID, "taskforce", "--on", "2024-02-01", "-w", w)[0] == 0
    assert c2c(monkeypatch, capsys, "partnerships", "stage", PID, "4", "--on", "2025-03-01", "-w", w,
               "--note", "business case presented")[0] == 0
    # Recorded late, dated earlier: history, not the current stage.
    assert c2c(monkeypatch, capsys, "partnerships", "stage", PID, "1", "--on", "2023-05-01", "-w", w)[0] == 0
    code, out, _ = c2c(monkeypatch, capsys, "partnerships", "stage", PID, "-w", w, "--format", "json")
    assert [(s["step"], s["reached_on"]) for s in json.loads(out)] == [(1, "2023-05-01"), (2, "2024-02-01"),
                                                                     (4, "2025-03-01")]
    from c2c_monitor.score.assess import stage_info
    from c2c_monitor.store.workspace import open_workspace

    with open_workspace(ws) as opened:
        assert stage_info(opened.con, PID, None).model_dump() == {
            "step": 4, "id": "business_case", "name": "Business case development", "reached_on": "2025-03-01"}
        assert stage_info(opened.con, PID, None, "pt").name == "Desenvolvimento do caso de negócio"


BAD_STAGES = [
    (["9"], "unknown stage '9'"),
    (["launch"], "unknown stage 'launch'"),
    (["0"], "unknown stage '0'"),
    (["4", "--on", "2099-01-01"], "not in advance"),
    (["4", "--on", "2024-13-01"], "Invalid value for '--on'"),
    (["4", "-w", "/nonexistent/ws"], "/nonexistent/ws"),
]


def test_a_bad_stage_is_refused_and_changes_nothing(unchanged_ws: Path, monkeypatch, capsys) -> None:
    before = state(unchanged_ws)
    for args, message in BAD_STAGES:
        code, _, err = c2c(monkeypatch, capsys, "partnerships", "stage", PID, "-w", str(unchanged_ws), *args)
        assert code == 2 and message in err, (args, err)
        if "unknown stage" in message:
            assert "7 funding_finance" in err  # the eight steps are listed
    code, _, err = c2c(monkeypatch, capsys, "partnerships", "stage", "atlantis", "4", "-w", str(unchanged_ws))
    assert code == 2 and "unknown partnership 'atlantis'" in err
    assert state(unchanged_ws) == before


def test_a_young_partnership_is_not_scored_on_what_it_cannot_have_yet(ws: Path) -> None:
    import datetime as dt

    from c2c_monitor.definitions.catalog import Catalogue, load_catalogue
    from c2c_monitor.ingest.stages import record_stage
    from c2c_monitor.score.assess import build_scoreboard
    from c2c_monitor.store.workspace import open_workspace

    def budget(sb):  # noqa: ANN001, ANN202
        return [r for r in sb.indicators if r.id == "budget_execution"]

    full = load_catalogue()
    # Two P09 indicators (one expected from step 7, one always) keep the three scorings quick.
    cat = Catalogue(indicators={i: full.indicators[i] for i in ("budget_execution", "cofinancing_leverage")},
                    version=full.version)
    with open_workspace(ws) as w:
        before = build_scoreboard(w, PID, "long", catalogue=cat)
        assert before.stage is None and all(r.score is not None for r in budget(before))
        record_stage(w.con, PID, "business_case", dt.date(2025, 3, 1))
        young = build_scoreboard(w, PID, "long", catalogue=cat)
        record_stage(w.con, PID, "funding_finance", dt.date(2025, 9, 1))
        funded = build_scoreboard(w, PID, "long", catalogue=cat)
    for r, was in zip(budget(young), budget(before), strict=True):
        assert r.expected_from_step == 7 and r.score is None and r.light == "none"
        assert r.value == was.value and r.missing_reason == "not expected before step 7 (funding and finance finalised)"
    assert [r.score for r in budget(funded)] == [r.score for r in budget(before)]
    # The indicator leaves the aggregates of its principle while it is not expected.
    agg = {(a.dimension, a.key): a for a in young.aggregates}
    agg0 = {(a.dimension, a.key): a for a in before.aggregates}
    assert agg[("principle", "P09")].n_scored == agg0[("principle", "P09")].n_scored - len(budget(young))


def test_principles_can_declare_their_stage(ws: Path, tmp_path: Path) -> None:
    import datetime as dt

    from c2c_monitor.definitions.catalog import Catalogue, load_catalogue
    from c2c_monitor.definitions.locate import definitions_dir
    from c2c_monitor.definitions.principles import load_framework
    from c2c_monitor.errors import DefinitionError
    from c2c_monitor.ingest.stages import record_stage
    from c2c_monitor.score.assess import build_scoreboard
    from c2c_monitor.store.workspace import open_workspace

    folder = tmp_path / "principles"
    shutil.copytree(definitions_dir("g20_principles"), folder)
    p09 = folder / "P09.yaml"
    p09.write_text(p09.read_text(encoding="utf-8") + "expected_from_step: 9\n", encoding="utf-8")
    with pytest.raises(DefinitionError) as bad:
        load_framework(folder)
    assert "P09.yaml" in str(bad.value) and "expected_from_step" in str(bad.value.report.findings[0].column)
    p09.write_text(p09.read_text(encoding="utf-8").replace("expected_from_step: 9", "expected_from_step: 7"),
                   encoding="utf-8")
    fw = load_framework(folder)
    full = load_catalogue()
    cat = Catalogue(indicators={"cofinancing_leverage": full.indicators["cofinancing_leverage"]}, version="x")
    with open_workspace(ws) as w:
        record_stage(w.con, PID, "3", dt.date(2025, 1, 10))
        sb = build_scoreboard(w, PID, framework=fw, catalogue=cat)
    rows = {p.id: p for p in sb.principles}
    assert rows["P09"].status == "not expected yet" and rows["P09"].score is None
    assert rows["P09"].expected_from_step == 7
    assert all(p.status == "scored" for p in sb.principles if p.id != "P09")


def test_stage_and_partner_type_names_exist_in_the_four_languages() -> None:
    from pydantic import ValidationError

    from c2c_monitor.definitions.process import Names, load_partner_types, load_steps

    steps, types = load_steps(), load_partner_types()
    assert [s.step for s in steps.steps] == list(range(1, 9)) and len(types.types) == 8
    for names in [s.name for s in steps.steps] + [t.name for t in types.types]:
        assert len({names.get(lang) for lang in ("en", "fr", "es", "pt")}) >= 3  # translated, not copied
    with pytest.raises(ValidationError):
        Names.model_validate({"en": "Taskforce", "fr": "Groupe", "es": "Grupo"})  # pt missing


def test_an_indicator_stage_outside_the_eight_steps_is_a_catalogue_finding(tmp_path: Path) -> None:
    from c2c_monitor.definitions.catalog import validate_catalogue
    from c2c_monitor.definitions.locate import definitions_dir

    folder = tmp_path / "indicators"
    shutil.copytree(definitions_dir("indicators"), folder)
    path = folder / "budget_execution.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("expected_from_step: 7", "expected_from_step: 0"),
                    encoding="utf-8")
    _, findings = validate_catalogue([folder])
    assert [(f.file, f.column) for f in findings] == [(str(path), "expected_from_step")]
    assert findings[0].row == path.read_text(encoding="utf-8").splitlines().index("expected_from_step: 0") + 1


# --- 3. partner types -----------------------------------------------------------------------------------------
def test_groups_are_mapped_to_partner_types_once_confirmed(ws: Path, tmp_path: Path, monkeypatch, capsys) -> None:
    w = str(ws)
    before = state(ws)
    suggestion = tmp_path / "groups.csv"
    assert c2c(monkeypatch, capsys, "workshop", "groups", PID, "-w", w, "--suggest", str(suggestion))[0] == 0
    assert state(ws) == before  # nothing is classified by a suggestion alone
    mapping = {r["stakeholder_group"]: r["partner_type"] for r in csv.DictReader(suggestion.open(encoding="utf-8"))}
    assert mapping["local_government"] == "local_authorities" and mapping["academia"] == "knowledge_partners"
    # The facilitator corrects one line (youth as civil society, by its French name) and confirms.
    text = suggestion.read_text(encoding="utf-8").replace("youth,civil_society", "youth,Société civile et autres "
                                                          "parties prenantes")
    suggestion.write_text(text, encoding="utf-8")
    code, _, err = c2c(monkeypatch, capsys, "workshop", "groups", PID, "-w", w, "--map", str(suggestion))
    assert code == 0, err
    mapped = state(ws)  # the same mapping again loads nothing: exit 1, and nothing is written
    code, _, err = c2c(monkeypatch, capsys, "workshop", "groups", PID, "-w", w, "--map", str(suggestion))
    assert code == 1 and "nothing to load" in err and state(ws) == mapped
    from c2c_monitor.definitions.principles import load_framework
    from c2c_monitor.score.assess import principle_rows
    from c2c_monitor.store.workspace import open_workspace

    with open_workspace(ws) as opened:  # what build_scoreboard puts in the scoreboard's partner_types
        view = principle_rows(opened.con, load_framework(), PID, None, min_group_size=3)
    assert view.partner_types and {g.group for g in view.partner_types} <= {*mapping.values(), "other groups (merged)"}
    assert min(g.n_participants for g in view.partner_types) >= 3
    assert {g.group for g in view.groups} != {g.group for g in view.partner_types}
    code, out, _ = c2c(monkeypatch, capsys, "workshop", "groups", PID, "-w", w)
    assert "suggested" not in out  # every group confirmed now


BAD_MAPPINGS = [
    ("youth,civil_society\nacademia,wizards\n", "line 3, column 'partner_type'", "not a partner type"),
    ("youth,civil_society\nastronauts,governments\n", "line 3, column 'stakeholder_group'", "not a stakeholder"),
    ("youth,civil_society\nyouth,governments\n", "line 3, column 'stakeholder_group'", "same group"),
    ("youth,\n", "line 2, column 'partner_type'", "no partner type"),
]


def test_a_bad_group_mapping_is_refused_and_changes_nothing(unchanged_ws: Path, tmp_path: Path, monkeypatch,
                                                            capsys) -> None:
    before = state(unchanged_ws)
    path = tmp_path / "map.csv"
    for rows, where, message in BAD_MAPPINGS:
        path.write_text("stakeholder_group,partner_type\n" + rows, encoding="utf-8")
        code, _, err = c2c(monkeypatch, capsys, "workshop", "groups", PID, "-w", str(unchanged_ws), "--map", str(path))
        assert code == 2 and f"map.csv {where}" in err and message in err, (rows, err)
    path.write_text("group,type\nyouth,civil_society\n", encoding="utf-8")
    code, _, err = c2c(monkeypatch, capsys, "workshop", "groups", PID, "-w", str(unchanged_ws), "--map", str(path))
    assert code == 2 and "map.csv line 1, column 'stakeholder_group'" in err
    assert state(unchanged_ws) == before


GROUPS = ["g1", "g2", "g3", "g4", "g5"]
TYPES = ["governments", "private_sector", "civil_society"]


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(people=st.lists(st.sampled_from(GROUPS), min_size=1, max_size=24),
       mapping=st.dictionaries(st.sampled_from(GROUPS), st.sampled_from(TYPES)),
       k=st.integers(3, 5))
def test_partner_types_cut_the_room_no_finer_than_the_groups(people: list[str], mapping: dict[str, str],
                                                             k: int) -> None:
    """Each type's participants are a union of whole groups the group table shows, and the merged group is
    the same people in both tables: no difference of the two tables isolates anyone."""
    from c2c_monitor.definitions.principles import load_framework
    from c2c_monitor.score.ratings import MERGED_GROUP, group_breakdown, partner_type_ratings

    fw = load_framework()
    q = fw.principles[0].questions[0].id
    ratings = pl.DataFrame({"participant_code": [f"X{i}" for i in range(len(people))], "stakeholder_group": people,
                            "question_id": [q] * len(people), "answer": ["3"] * len(people),
                            "rating": [3] * len(people)})
    groups = group_breakdown(fw, ratings, k)
    types = group_breakdown(fw, partner_type_ratings(ratings, mapping, k), k)
    group_n = {r["group"]: r["n_participants"] for r in groups.iter_rows(named=True)}
    shown = set(group_n) - {MERGED_GROUP}  # the groups the group table shows on their own
    for r in types.iter_rows(named=True):
        assert r["n_participants"] >= k
        if r["group"] == MERGED_GROUP:
            assert group_n.get(MERGED_GROUP) == r["n_participants"]
        else:
            members = [g for g in shown if mapping.get(g, "not classified") == r["group"]]
            assert members and r["n_participants"] == sum(group_n[g] for g in members)


# --- 4. the council summary ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def council_pdf(demo_ws: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """The council summary of one partnership at step 4, rendered as `c2c publish` does (tests/test_publish and
    test_pdf_engines publish it through the whole site)."""
    import datetime as dt

    from c2c_monitor.ingest.stages import record_stage
    from c2c_monitor.publish.council import council_page
    from c2c_monitor.publish.pdf import write_pdf
    from c2c_monitor.publish.site import _principle_chart
    from c2c_monitor.publish.site_pages import SiteInfo
    from c2c_monitor.render.html import environment, render_page
    from c2c_monitor.score.assess import build_scoreboard
    from c2c_monitor.store.workspace import open_workspace

    root = tmp_path_factory.mktemp("council")
    ws = root / "ws"
    shutil.copytree(demo_ws, ws)
    with open_workspace(ws) as w:
        record_stage(w.con, PID, "business_case", dt.date(2025, 3, 1))
        sb = build_scoreboard(w, PID)
    site = SiteInfo(title="Test site", generated_at="2026-01-01 00:00 UTC", tool_version="0", catalog_version="c",
                    framework_version="f", rules_version="r", licence="CC-BY-4.0", vintages=sb.vintages_used)
    page = root / "site" / "pdf" / f"{PID}.html"
    page.parent.mkdir(parents=True)
    (root / "site" / "assets").mkdir()
    env = environment()
    (root / "site" / "assets" / "site.css").write_text(env.loader.get_source(env, "site/site.css")[0],
                                                        encoding="utf-8")
    page.write_text(render_page(environment(), council_page(sb, site, "en", PID, _principle_chart(sb))),
                    encoding="utf-8")
    return write_pdf(page.read_text(encoding="utf-8"), page.with_suffix(".pdf"), page.parent, root / "site"), \
        sb.model_dump()


def test_the_scoreboard_says_the_stage(council_pdf: tuple[Path, dict]) -> None:
    from c2c_monitor.render import RENDERERS
    from c2c_monitor.score.scoreboard import Scoreboard

    sb = Scoreboard.model_validate(council_pdf[1])
    assert "stage: step 4 of 8, Business case development (since 2025-03-01)" in RENDERERS["table"](sb, "en")
    assert "Stage of the City Partnerships process: step 4 of 8, Business case development" in \
        RENDERERS["html"](sb, "en")


def test_the_council_summary_is_two_to_four_pages_with_the_headline(council_pdf: tuple[Path, dict]) -> None:
    from pypdf import PdfReader

    pdf, sb = council_pdf
    reader = PdfReader(pdf)
    assert 2 <= len(reader.pages) <= 4
    text = " ".join(" ".join(pdf_text(p) for p in reader.pages).split())
    assert "council summary" in text.lower()  # the kicker is set in capitals by the style sheet
    for part in ("Bonn", "Cape Coast", "Step 4 of 8", "Business case development", sb["round_id"],
                 f"{sb['n_participants']} participants", "Principle profile", "Strongest principles",
                 "Weakest principles", "Overdue and high-priority actions", f"partnerships/{PID}.html"):
        assert part in text, part
    mean = sum(p["score"] for p in sb["principles"]) / len(sb["principles"])  # all ten are scored in the demo
    assert f"The 10 principles scored average {mean:.2f} of 5" in text
    city = [r for r in sb["indicators"] if r["family"] == "city"]
    assert f"{sum(r['score'] is not None for r in city)} of {len(city)} scored" in text
    scored = sorted((p for p in sb["principles"] if p["score"] is not None), key=lambda p: -p["score"])
    best, worst = scored[0], scored[-1]
    assert f"{best['id']} {best['title']}. Rated {best['score']:.2f} of 5" in text
    assert f"{worst['id']} {worst['title']}. Rated {worst['score']:.2f} of 5" in text
    at = {name: text.index(name) for name in ("Strongest principles", "Weakest principles")}
    best_at, worst_at = (text.index(f"{p['id']} {p['title']}.") for p in (best, worst))
    assert at["Strongest principles"] < best_at < at["Weakest principles"] < worst_at
    leading = [a for a in sb["actions"] if a["overdue"] or a["high_priority"]]
    assert leading and all(a["text"] in text for a in leading)
