"""Hostile inputs are read exactly or refused in one line, never misread, never a traceback, never exhausting.

Each test is named after the defect it guards against (issue 22, "Inputs read wrongly without a word" and
"Tracebacks and resource exhaustion"); each builds its fixture, named after that defect, in the test.
"""

from __future__ import annotations

import json
import re
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from c2c_monitor.ingest.partnerships import TEMPLATE as PARTNERSHIP_HEADER

from .conftest import run_c2c
from .test_ingest import state

# One valid row for each command that reads XLSX, and the cell (row 2) a test puts a formula in.
INGEST_HEAD = ["indicator", "area", "period", "value", "unit", "obs_status", "disaggregation"]
INGEST_ROW = ["unemployment_rate", "bonn", "2025-Q1", "4.25", "percent", "P", None]
PARTNERSHIP_ROW = ["lyon-2", "Lyon – Porto-Novo II", "lyon", "Lyon", "France", "522000", "porto-novo", "Porto-Novo",
                   "Benin", "264000", "Water", "6,11", "2024", "250000", "Second phase"]
BUDGET_HEAD = ["line_id", "partnership_id", "date", "city_id", "city_role", "category", "source", "amount_eur"]
BUDGET_ROW = ["L1", "bonn-cape-coast", "2025-02-01", "cape-coast", "partner", "capacity_building", "eu_grant", "1000"]
RATINGS_HEAD = ["participant_code", "stakeholder_group", "city_id", "question_id", "rating", "comment"]
RATINGS_ROWS = [[p, "civil_society", "bonn", "P01.1", "4", None] for p in ("P01", "P02", "P03")]

# command -> (header, rows, (column letter, formula) for row 2, argv builder)
COMMANDS: dict[str, tuple[list[str], list[list[str | None]], tuple[str, str], Callable[[Path, Path], list[str]]]] = {
    "ingest": (INGEST_HEAD, [INGEST_ROW], ("D", "=2*2.125"),
               lambda ws, f: ["ingest", str(f), "-w", str(ws)]),
    "partnerships-import": (PARTNERSHIP_HEADER[0], [PARTNERSHIP_ROW], ("N", "=100000+150000"),
                            lambda ws, f: ["partnerships", "import", str(f), "-w", str(ws)]),
    "records-import": (BUDGET_HEAD, [BUDGET_ROW], ("H", "=SUM(1000,0)"),
                       lambda ws, f: ["records", "import", "budget_lines", str(f), "-w", str(ws)]),
    "workshop-import": (RATINGS_HEAD, RATINGS_ROWS, ("E", "=2+2"),
                        lambda ws, f: ["workshop", "import", str(f), "-w", str(ws), "-p", "bonn-cape-coast",
                                       "--round", "2031"]),
}


def _xlsx(path: Path, header: list[str], rows: list[list[str | None]], sheet: str = "Data") -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(header)
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def _rewrite(path: Path, member: str, change: Callable[[bytes], bytes]) -> None:
    """Replace one member of a zip archive, keeping the others byte for byte."""
    with zipfile.ZipFile(path) as z:
        members = [(i, z.read(i.filename)) for i in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in members:
            z.writestr(info, change(data) if info.filename == member else data)


def _with_formula(path: Path, command: str, cached: str | None = None) -> Path:
    """The command's valid file with a formula in row 2; `cached` writes the value a spreadsheet would have."""
    header, rows, (col, formula) = COMMANDS[command][:3]
    rows = [list(r) for r in rows]
    rows[0][ord(col) - ord("A")] = formula
    _xlsx(path, header, rows)
    if cached is not None:
        numeric = re.fullmatch(r"-?\d+(\.\d+)?", cached) is not None

        def add_cache(xml: bytes) -> bytes:
            cell = re.compile(rb'<c r="' + f"{col}2".encode() + rb'"([^>]*)><f>(.*?)</f><v\s*/?>(?:</v>)?')
            assert cell.search(xml), xml[:500]
            kind = b"" if numeric else b' t="str"'
            return cell.sub(lambda m: b'<c r="' + f"{col}2".encode() + b'"' + kind + b"><f>" + m.group(2)
                            + b"</f><v>" + cached.encode() + b"</v>", xml)

        _rewrite(path, "xl/worksheets/sheet1.xml", add_cache)
    return path


def _refused_in_one_line(res, *words: str) -> None:  # type: ignore[no-untyped-def]
    assert res.returncode == 2, (res.stdout[-300:], res.stderr[-500:])
    assert "Traceback" not in res.stderr, res.stderr[-2000:]
    first = res.stderr.strip().splitlines()[0]
    for w in words:
        assert w in first, (w, res.stderr)


# --- 1. formulas -------------------------------------------------------------------------------------
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_formula_without_a_cached_value_was_read_as_blank(demo_copy: Path, tmp_path: Path, command: str) -> None:
    f = _with_formula(tmp_path / "formula-without-cached-value.xlsx", command)
    col, formula = COMMANDS[command][2]
    before = state(demo_copy)
    res = run_c2c(*COMMANDS[command][3](demo_copy, f))
    # The sheet, the cell and the formula's text, so the user can find and fix it.
    _refused_in_one_line(res, f.name, "'Data'", f"{col}2", formula)
    assert state(demo_copy) == before


def test_a_formula_with_a_cached_value_in_ingest_was_read_as_missing(demo_copy: Path, tmp_path: Path) -> None:
    f = _with_formula(tmp_path / "formula-with-cached-value.xlsx", "ingest", cached="7.5")
    res = run_c2c("ingest", str(f), "-w", str(demo_copy))
    assert res.returncode == 0, res.stderr
    assert not re.search(r"[1-9][0-9]* blank value", res.stderr), res.stderr
    con = duckdb.connect(str(demo_copy / "workspace.duckdb"), read_only=True)
    try:
        got = con.execute("SELECT disagg, value FROM cur_observations WHERE code = 'unemployment_rate' "
                          "AND city_id = 'bonn' AND period = '2025-Q1'").fetchall()
    finally:
        con.close()
    assert got == [("", 7.5)]  # the spreadsheet's own result, not the formula's text and not a blank


def test_a_formula_with_a_cached_value_lost_a_partnership_budget(demo_copy: Path, tmp_path: Path) -> None:
    f = _with_formula(tmp_path / "budget-formula-with-cached-value.xlsx", "partnerships-import", cached="250000")
    res = run_c2c("partnerships", "import", str(f), "-w", str(demo_copy))
    assert res.returncode == 0, res.stderr
    con = duckdb.connect(str(demo_copy / "workspace.duckdb"), read_only=True)
    try:
        assert con.execute("SELECT budget_eur FROM partnerships WHERE partnership_id = 'lyon-2'").fetchall() \
            == [(250000.0,)]
    finally:
        con.close()


def _ingest_disagg(tmp_path: Path, name: str, cached: str | None) -> Path:
    path = tmp_path / name
    _xlsx(path, INGEST_HEAD, [INGEST_ROW[:6] + ['="sex="&"female"']])
    if cached is not None:
        _rewrite(path, "xl/worksheets/sheet1.xml", lambda xml: re.sub(
            rb'<c r="G2"([^>]*)><f>(.*?)</f><v\s*/?>(?:</v>)?',
            lambda m: b'<c r="G2" t="str"><f>' + m.group(2) + b"</f><v>" + cached.encode() + b"</v>", xml))
    return path


def test_a_formula_in_a_disaggregation_cell_moved_the_row_onto_the_total(demo_copy: Path, tmp_path: Path) -> None:
    before = state(demo_copy)
    res = run_c2c("ingest", str(_ingest_disagg(tmp_path, "disaggregation-formula.xlsx", None)), "-w", str(demo_copy))
    _refused_in_one_line(res, "G2", '="sex="&"female"')
    assert state(demo_copy) == before
    # With the value the spreadsheet computed, the row lands on its own series, not on the headline.
    res = run_c2c("ingest", str(_ingest_disagg(tmp_path, "disaggregation-formula-cached.xlsx", "sex=female")),
                  "-w", str(demo_copy))
    assert res.returncode == 0, res.stderr
    con = duckdb.connect(str(demo_copy / "workspace.duckdb"), read_only=True)
    try:
        got = con.execute("SELECT disagg, value FROM cur_observations WHERE code = 'unemployment_rate' "
                          "AND city_id = 'bonn' AND period = '2025-Q1' ORDER BY disagg").fetchall()
    finally:
        con.close()
    assert got == [("sex=female", 4.25)]


def test_a_formula_is_refused_in_every_cell_it_sits_in(tmp_path: Path) -> None:
    from c2c_monitor.ingest.readers import read_xlsx_table
    from c2c_monitor.ingest.textfile import ReadError

    path = _xlsx(tmp_path / "many-formulas.xlsx", ["a", "b"], [["=1+1", "x"], ["y", "=A2&A3"]])
    with pytest.raises(ReadError) as caught:
        read_xlsx_table(path)
    got = [(f.code, f.row, f.column, f.value) for f in caught.value.findings]
    assert ("formula-without-value", 2, "a", "=1+1") in got
    assert ("formula-without-value", 3, "b", "=A2&A3") in got


# --- 2. tracebacks -----------------------------------------------------------------------------------
def _valid(command: str, path: Path) -> Path:
    header, rows = COMMANDS[command][:2]
    return _xlsx(path, header, rows)


def _corrupt_member(path: Path, member: str = "xl/worksheets/sheet1.xml") -> None:
    """Overwrite the middle of one member's deflated data, as a truncated download or a bad disk would."""
    with zipfile.ZipFile(path) as z:
        info = z.getinfo(member)
    raw = bytearray(path.read_bytes())
    name_len, extra_len = struct.unpack("<HH", raw[info.header_offset + 26:info.header_offset + 30])
    start = info.header_offset + 30 + name_len + extra_len
    for k in range(start + 2, start + min(info.compress_size - 2, 40)):
        raw[k] = 0xFF
    path.write_bytes(bytes(raw))


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_an_xlsx_with_a_corrupted_member_raised_zlib_error(demo_copy: Path, tmp_path: Path, command: str) -> None:
    f = _valid(command, tmp_path / "corrupted-member.xlsx")
    _corrupt_member(f)
    before = state(demo_copy)
    _refused_in_one_line(run_c2c(*COMMANDS[command][3](demo_copy, f)), f.name, "not a readable XLSX")
    assert state(demo_copy) == before


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_an_xlsx_with_a_duplicated_header_raised_shape_error(demo_copy: Path, tmp_path: Path, command: str) -> None:
    header, rows = COMMANDS[command][:2]
    f = _xlsx(tmp_path / "duplicated-header.xlsx", [*header, header[1]], [[*r, r[1]] for r in rows])
    before = state(demo_copy)
    _refused_in_one_line(run_c2c(*COMMANDS[command][3](demo_copy, f)), f.name, "appears twice", header[1])
    assert state(demo_copy) == before


@pytest.mark.parametrize("encoding", ["nonsense", "base64"])
def test_an_unknown_encoding_raised_lookup_error(demo_copy: Path, tmp_path: Path, encoding: str) -> None:
    f = tmp_path / "unknown-encoding.csv"
    f.write_text(",".join(INGEST_HEAD) + "\n" + ",".join(v or "" for v in INGEST_ROW) + "\n")
    before = state(demo_copy)
    _refused_in_one_line(run_c2c("ingest", str(f), "-w", str(demo_copy), "--encoding", encoding), f.name,
                         repr(encoding))
    assert state(demo_copy) == before


def test_a_value_right_of_the_header_is_kept_not_dropped(tmp_path: Path) -> None:
    """Reading without the sheet's declared dimension must not lose a cell the header does not cover."""
    from c2c_monitor.ingest.readers import read_xlsx_table

    path = _xlsx(tmp_path / "value-beyond-header.xlsx", ["a", "b"], [["1", "2"], ["3", "4", None, "stray"]])
    df = read_xlsx_table(path).frame
    assert df.columns == ["a", "b", "column_3", "column_4", "_line"]
    assert df.rows() == [("1", "2", None, None, 2), ("3", "4", None, "stray", 3)]


def test_a_stale_sheet_dimension_cut_rows_off(tmp_path: Path) -> None:
    from c2c_monitor.ingest.readers import read_xlsx_table

    path = _xlsx(tmp_path / "stale-dimension.xlsx", ["a"], [["1"], ["2"], ["3"]])
    _rewrite(path, "xl/worksheets/sheet1.xml", lambda xml: re.sub(rb'<dimension ref="[^"]*"/>',
                                                                  b'<dimension ref="A1:A2"/>', xml))
    assert read_xlsx_table(path).frame["a"].to_list() == ["1", "2", "3"]


# --- 3. resource exhaustion ----------------------------------------------------------------------------
def _declare_size(path: Path, member: str, size: int) -> None:
    """Make the central directory declare `size` uncompressed bytes for one member (a zip bomb's header)."""
    raw = bytearray(path.read_bytes())
    name = member.encode()
    at = 0
    while True:
        at = raw.find(b"PK\x01\x02", at)
        assert at >= 0
        name_len = struct.unpack("<H", raw[at + 28:at + 30])[0]
        if raw[at + 46:at + 46 + name_len] == name:
            break
        at += 4
    raw[at + 24:at + 28] = struct.pack("<I", size)
    path.write_bytes(bytes(raw))


def test_an_xlsx_zip_bomb_was_inflated(demo_copy: Path, tmp_path: Path) -> None:
    f = _valid("ingest", tmp_path / "zip-bomb.xlsx")
    _declare_size(f, "xl/worksheets/sheet1.xml", 4_000_000_000)
    before = state(demo_copy)
    _refused_in_one_line(run_c2c("ingest", str(f), "-w", str(demo_copy)), f.name, "zip bomb")
    assert state(demo_copy) == before


def test_an_xlsx_declaring_a_billion_cells_was_read(demo_copy: Path, tmp_path: Path) -> None:
    f = _valid("partnerships-import", tmp_path / "billion-cells.xlsx")
    _rewrite(f, "xl/worksheets/sheet1.xml", lambda xml: re.sub(rb'<dimension ref="[^"]*"/>',
                                                               b'<dimension ref="A1:XFD1048576"/>', xml))
    before = state(demo_copy)
    _refused_in_one_line(run_c2c("partnerships", "import", str(f), "-w", str(demo_copy)), f.name, "cell limit")
    assert state(demo_copy) == before


def test_an_xlsx_with_more_cells_than_the_cap_is_refused_while_reading(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A sheet without a <dimension> (or a lying one) is still stopped at the cap, counted as it is read."""
    from c2c_monitor.ingest import xlsx
    from c2c_monitor.ingest.textfile import ReadError

    path = _xlsx(tmp_path / "no-dimension.xlsx", ["a", "b"], [[str(i), str(i)] for i in range(60)])
    _rewrite(path, "xl/worksheets/sheet1.xml", lambda xml: re.sub(rb'<dimension ref="[^"]*"/>', b"", xml))
    monkeypatch.setattr(xlsx, "MAX_CELLS", 100)
    with pytest.raises(ReadError) as caught:
        xlsx.read_xlsx_table(path)
    assert caught.value.finding.code == "too-large" and caught.value.finding.row == 52  # the 101st cell's row


BILLION_LAUGHS = "".join(
    f"{x}: &{x} [{', '.join([f'*{p}'] * 9)}]\n" for p, x in zip("abcdefgh", "bcdefghi", strict=True))
BILLION_LAUGHS = 'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n' + BILLION_LAUGHS


def test_a_billion_laughs_mapping_ran_out_of_memory(demo_copy: Path, tmp_path: Path) -> None:
    m = tmp_path / "billion-laughs.yaml"
    m.write_text(BILLION_LAUGHS + "areas: {x: *i}\nindicators: {y: *i}\n")
    assert len(m.read_bytes()) < 600
    f = tmp_path / "a.csv"
    f.write_text(",".join(INGEST_HEAD) + "\n" + ",".join(v or "" for v in INGEST_ROW) + "\n")
    before = state(demo_copy)
    _refused_in_one_line(run_c2c("ingest", str(f), "-w", str(demo_copy), "--map", str(m)), m.name, "alias")
    assert state(demo_copy) == before


def test_a_billion_laughs_definition_file_ran_out_of_memory(tmp_path: Path) -> None:
    from c2c_monitor.definitions.yamlload import YamlSyntaxError, load_yaml

    p = tmp_path / "billion-laughs-indicator.yaml"
    p.write_text(BILLION_LAUGHS + "id: x\nname: *i\n")
    with pytest.raises(YamlSyntaxError) as caught:
        load_yaml(p)
    assert caught.value.finding.code == "yaml-alias"


@pytest.mark.parametrize(("name", "text", "code"), [
    ("oversized-definition.yaml", "x: " + "y" * (3 * 1024 * 1024) + "\n", "too-large"),
    ("deeply-nested-definition.yaml", "x: " + "[" * 500 + "]" * 500 + "\n", "yaml-too-deep"),
    ("merge-key-alias.yaml", "base: &b {unit: percent}\nind: {<<: *b, id: x}\n", "yaml-alias"),
])
def test_a_hostile_definition_file_is_refused_before_it_is_built(tmp_path: Path, name: str, text: str,
                                                                 code: str) -> None:
    from c2c_monitor.definitions.yamlload import YamlSyntaxError, load_yaml

    p = tmp_path / name
    p.write_text(text)
    with pytest.raises(YamlSyntaxError) as caught:
        load_yaml(p)
    assert caught.value.finding.code == code


def test_open_sdg_front_matter_with_aliases_gives_no_targets(tmp_path: Path) -> None:
    from c2c_monitor.ingest.readers import read_open_sdg

    (tmp_path / "data").mkdir()
    (tmp_path / "meta").mkdir()
    data = tmp_path / "data" / "indicator_11-1-1.csv"
    data.write_text("Year,Value\n2020,1.5\n")
    (tmp_path / "meta" / "11-1-1.md").write_text("---\n" + BILLION_LAUGHS
                                                 + "graph_target_lines: *i\n---\n")
    parsed = read_open_sdg(data)
    assert parsed.targets == [] and any("unreadable" in n for n in parsed.notes)


# --- 4. c2c.toml -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "line", "words"), [
    ("min-group-size-true", "min_group_size = true", ["line 2", "min_group_size"]),
    ("min-group-size-lowered", "min_group_size = 1", ["line 2", "at least 3"]),
    ("min-group-size-float", "min_group_size = 3.5", ["line 2", "min_group_size"]),
    ("min-group-size-string", 'min_group_size = "5"', ["line 2", "min_group_size"]),
    ("unknown-key", "min_grop_size = 5", ["line 2", "min_grop_size", "unknown setting"]),
    ("unknown-table", "[privacy]\nk = 1", ["line 2", "privacy", "unknown setting"]),
    ("unknown-language", 'language = "xx"', ["line 2", "language"]),
    ("control-character-in-name", 'licence = "CC\\u0000BY"', ["line 2", "licence"]),
    ("not-toml", "min_group_size = = 3", ["not valid TOML"]),
])
def test_a_broken_c2c_toml_was_read_loosely(demo_copy: Path, tmp_path: Path, name: str, line: str,
                                            words: list[str]) -> None:
    cfg = demo_copy / "c2c.toml"
    cfg.write_text(f'name = "{name}"\n{line}\n')
    before = (demo_copy / "workspace.duckdb").read_bytes()
    res = run_c2c("assess", "bonn-cape-coast", "-w", str(demo_copy), "--format", "json")
    assert res.returncode == 2 and res.stdout == ""
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "c2c.toml" in lines[0], res.stderr
    for w in words:
        assert w in lines[0], (w, lines[0])
    assert (demo_copy / "workspace.duckdb").read_bytes() == before  # refused before the store was opened


def test_a_raised_privacy_threshold_is_honoured(demo_copy: Path) -> None:
    cfg = demo_copy / "c2c.toml"
    cfg.write_text(cfg.read_text().replace("min_group_size = 3", "min_group_size = 5"))
    res = run_c2c("assess", "bonn-cape-coast", "-w", str(demo_copy), "--format", "json")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["min_group_size"] == 5


def test_the_default_config_that_init_writes_is_valid(tmp_path: Path) -> None:
    from c2c_monitor.store.config import Config, parse_config
    from c2c_monitor.store.workspace import DEFAULT_CONFIG

    # init also writes the site title (issue 20), so the defaults plus that title.
    assert parse_config(DEFAULT_CONFIG.format(name="x"), tmp_path / "c2c.toml") == Config(
        name="x", title="City-to-city partnerships")


# --- property: what a sheet holds is what is read ---------------------------------------------------------
# Text openpyxl stores as text: it turns a string starting with "=" into a formula, and XML cannot hold
# most control characters.
_CELL_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=40).filter(
    lambda s: not s.startswith("=") and s.strip() != "")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(st.one_of(_CELL_TEXT, st.integers(-10**9, 10**9), st.none()), min_size=3, max_size=3),
                     min_size=1, max_size=8))
def test_every_cell_of_a_sheet_is_read_back_as_written(tmp_path: Path, rows: list[list[str | int | None]]) -> None:
    from c2c_monitor.ingest.readers import read_xlsx_table

    path = _xlsx(tmp_path / "property.xlsx", ["a", "b", "c"], rows)  # type: ignore[arg-type]
    df = read_xlsx_table(path).frame
    kept = [(i, r) for i, r in enumerate(rows, start=2)
            if not all(v is None or (isinstance(v, str) and v.strip() == "") for v in r)]
    assert df["_line"].to_list() == [i for i, _ in kept]  # blank rows skipped, line numbers those of the sheet
    assert df.select("a", "b", "c").rows() == [tuple(None if v is None else str(v) for v in r) for _, r in kept]
