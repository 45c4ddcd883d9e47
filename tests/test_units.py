"""The one unit table (definitions/units.yaml) and UNIT_MULT: codes and words of every platform, conversion
into the catalogue unit, unknown and incompatible units as findings (issue 15, part A)."""

from __future__ import annotations

from decimal import Context, Decimal, localcontext
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from c2c_monitor.definitions.catalog import Catalogue, load_catalogue
from c2c_monitor.definitions.sdmx_codes import UNIT_CODES
from c2c_monitor.definitions.units import build_table, unit_key, unit_table
from c2c_monitor.errors import C2CError
from c2c_monitor.ingest.mapping import IndicatorMap, Mapping
from c2c_monitor.ingest.readers import read_open_sdg, read_sdmx
from c2c_monitor.ingest.unitmult import shift
from c2c_monitor.ingest.validate import validate


@pytest.fixture(scope="module")
def cat() -> Catalogue:
    return load_catalogue()


def test_every_catalogue_unit_and_published_code_is_in_the_table(cat: Catalogue) -> None:
    t = unit_table()
    for ind in cat.indicators.values():
        assert t.factor(ind.unit, ind.unit) == 1, ind.id
    for unit, (code, label) in UNIT_CODES.items():  # what `c2c publish` writes reads back unchanged
        assert t.factor(code, unit) == 1 and t.factor(label, unit) == 1, code


@pytest.mark.parametrize(("name", "unit", "factor"), [
    ("PT", "percent", "1"), ("PC", "percent", "1"), ("Percentage", "percent", "1"),
    ("Percentatge", "percent", "1"), ("Prozent", "percent", "1"), ("pourcentage", "percent", "1"),
    ("porcentaje", "percent", "1"), ("percentagem", "percent", "1"), ("RATIO", "percent", "100"),
    ("NUMBER", "count", "1"), ("PS", "count", "1"), ("Total Number", "count", "1"), ("Anzahl", "count", "1"),
    ("Total Number in Thousands", "count", "1000"),
    ("PER_100000_POP", "per 100,000", "1"), ("Rate per 100.000", "per 100,000", "1"),
    ("por cada 100 000 habitantes", "per 100,000", "1"), ("je 100.000 Einwohner", "per 100,000", "1"),
    ("PER_1000_POP", "per 100,000", "100"), ("Rate per 1.000", "per 100,000", "100"),
    ("PER_1000000_POP", "per 100,000", "0.1"), ("PER_1000_POP", "per 100 inhabitants", "0.1"),
    ("μg/m³", "µg/m3", "1"), ("KG_CO2E_PER_CAP", "tCO2e per capita", "0.001"),
])
def test_codes_and_words_convert_to_the_catalogue_unit(name: str, unit: str, factor: str) -> None:
    assert unit_table().factor(name, unit) == Decimal(factor)


@pytest.mark.parametrize(("name", "unit"), [("EUR", "EUR per capita"), ("USD", "EUR per capita"),
                                            ("KG", "count"), ("T", "percent"), ("PT", "count")])
def test_incompatible_units_do_not_convert(name: str, unit: str) -> None:
    assert unit_table().factor(name, unit) is None and unit_table().known(name)


def test_unit_names_compare_blind_to_case_accents_spacing_and_digit_groups() -> None:
    assert unit_key("Rate per 100.000") == unit_key("rate  per 100 000") == unit_key("RATE PER 100,000")
    assert unit_key("Percentatge") == unit_key("percentatge") and unit_key("número") == unit_key("numero")
    assert unit_key("per 1.5") != unit_key("per 15")  # a decimal point is not a digit group


@pytest.mark.parametrize("data", [
    {"units": {"percent": {"same": ["PT"]}, "count": {"same": ["pt"]}}},  # one name, two units
    {"units": {"percent": {"convert": [{"factor": 0, "names": ["x"]}]}}},
    {"units": {"percent": {"convert": [{"factor": "abc", "names": ["x"]}]}}},
    {"units": {"percent": {"convert": [{"factor": 2, "names": ["x"]}, {"factor": 3, "names": ["X"]}]}}},
    {"units": {"percent": {"same": "PT"}}},
    {"units": {"percent": {"other": []}}},
    {"no-units": {}},
])
def test_a_unit_table_that_says_two_things_is_refused(data: dict) -> None:
    with pytest.raises(C2CError):
        build_table(data)


@settings(max_examples=200, deadline=None)
@given(value=st.decimals(allow_nan=False, allow_infinity=False, places=None, min_value=-10**12, max_value=10**12),
       mult=st.integers(-12, 12))
def test_value_times_ten_to_the_unit_mult_round_trips(value: Decimal, mult: int) -> None:
    text = format(value, "f")
    scaled = shift(text, mult)
    assert scaled is not None and "e" not in scaled.lower()
    with localcontext(Context(prec=200)):
        assert Decimal(scaled) == value * Decimal(10) ** mult  # exact: moving the point never rounds
    back = shift(scaled, -mult)
    assert back is not None and Decimal(back) == value


def _sdmx(tmp_path: Path, rows: list[str], name: str = "data.csv") -> Path:
    f = tmp_path / name
    f.write_text("DATAFLOW,REF_AREA,INDICATOR,TIME_PERIOD,OBS_VALUE,UNIT_MEASURE,UNIT_MULT\n"
                 + "".join(r + "\n" for r in rows))
    return f


def test_sdmx_unit_measure_and_unit_mult_reach_the_catalogue_unit(tmp_path: Path, cat: Catalogue) -> None:
    f = _sdmx(tmp_path, [
        "F,bonn,road_traffic_deaths,2020,4.1,PER_100000_POP,0",
        "F,bonn,road_traffic_deaths,2021,0.039,PER_1000_POP,0",  # per 1,000 -> per 100,000: x100
        "F,bonn,road_traffic_deaths,2022,0.37,PER_100000_POP,1",  # 0.37 x 10^1
        "F,bonn,unemployment_rate,2022,0.061,RATIO,",  # a proportion -> percent
        "F,bonn,unemployment_rate,2023,61,PT,-1",
    ])
    parsed = read_sdmx(f)
    checked = validate(parsed.frame, cat, {"bonn"}, Mapping(), strict=True)
    assert [x for x in checked.findings if x.severity == "error"] == []
    got = {(r["code"], r["period"]): (round(r["value"], 9), r["unit"]) for r in checked.good.iter_rows(named=True)}
    assert got == {("road_traffic_deaths", "2020"): (4.1, "PER_100000_POP"),
                   ("road_traffic_deaths", "2021"): (3.9, "per 100,000"),
                   ("road_traffic_deaths", "2022"): (3.7, "PER_100000_POP"),
                   ("unemployment_rate", "2022"): (6.1, "percent"),
                   ("unemployment_rate", "2023"): (6.1, "PT")}


def test_unknown_and_incompatible_units_are_findings_naming_file_row_and_unit(tmp_path: Path,
                                                                              cat: Catalogue) -> None:
    f = _sdmx(tmp_path, ["F,bonn,unemployment_rate,2020,4.1,PT,0",
                         "F,bonn,unemployment_rate,2021,4.1,FURLONGS,0",
                         "F,bonn,unemployment_rate,2022,4.1,EUR,0"])
    checked = validate(read_sdmx(f).frame, cat, {"bonn"}, Mapping(), strict=True)
    found = [(x.code, x.file, x.row, x.column, x.value) for x in checked.findings]
    assert found == [("wrong-unit", str(f), 3, "unit", "FURLONGS"), ("wrong-unit", str(f), 4, "unit", "EUR")]
    assert "unknown unit" in checked.findings[0].message and "percent" in checked.findings[1].message


def test_an_unreadable_unit_mult_is_a_finding(tmp_path: Path) -> None:
    f = _sdmx(tmp_path, ["F,bonn,unemployment_rate,2020,4.1,PT,0", "F,bonn,unemployment_rate,2021,4.1,PT,lots"])
    found = [(x.code, x.row, x.column, x.value) for x in read_sdmx(f).findings]
    assert found == [("bad-unit-mult", 3, "UNIT_MULT", "lots")]


def test_open_sdg_units_and_multiplier_words_in_the_platform_language(tmp_path: Path, cat: Catalogue) -> None:
    data = tmp_path / "data"
    data.mkdir()
    f = data / "indicator_3-6-1.csv"
    f.write_text("Year,Units,Unit multiplier,Value\n2020,Taxa per 100.000 habitants,Unitats,4.2\n"
                 "2021,Tasa por 1.000 habitantes,Unidades,0.04\n2022,Nombre,Milliers,1.5\n")
    parsed = read_open_sdg(f)
    assert parsed.findings == []
    mapping = Mapping(default_city="bonn", indicators={"3-6-1": IndicatorMap("road_traffic_deaths")})
    checked = validate(parsed.frame, cat, {"bonn"}, mapping, strict=False)
    values = checked.good.sort("period")["value"].to_list()
    assert values[:2] == pytest.approx([4.2, 4.0])
    wrong = [(x.code, x.row, x.value) for x in checked.findings if x.code == "wrong-unit"]
    assert wrong == [("wrong-unit", 4, "Nombre")]  # a count is not a rate: said, not converted
