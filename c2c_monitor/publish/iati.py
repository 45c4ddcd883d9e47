"""IATI activity files (standard 2.03): each partnership as an activity, its indicators as results.

Donors and programme secretariats read IATI; a partnership that publishes its indicators there is found by
the same tools that read the funders' own files. One file per partnership (`iati/PARTNERSHIP.xml`), each an
`<iati-activities>` document with one `<iati-activity>`:

- identifier `REPORTING-ORG-REF-PARTNERSHIP`, the reporting organisation and the other organisations from
  `[iati]` in c2c.toml, the two cities as implementing local governments (OrganisationType 11, role 4);
- the partner city's country as recipient country, the DAC sector from the settings, the partnership's SDGs
  as tags (TagVocabulary 2, UN SDG goals);
- one `<result>` (type 2, outcome) per catalogue indicator with a value or a series: the first observed year
  as baseline, one `<period>` per observed year with its actual, and a 2030 period with the end value as
  target; `measure` 2 (percentage) for percent units, else 1 (unit); `ascending` from the indicator's polarity.
  UN SDG indicators carry their code with IndicatorVocabulary 9; the catalogue's own ones vocabulary 99.

Texts go through `store.cells.xml_text`, so a control character in a stored name cannot make the file
unreadable. The file is checked against the IATI schema in the tests (lxml), not at run time: the schema is
reference data outside the package.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

from lxml import etree

from c2c_monitor.errors import C2CError
from c2c_monitor.score.scoreboard import IndicatorRow, Scoreboard
from c2c_monitor.store.atomic import replacing
from c2c_monitor.store.cells import xml_text
from c2c_monitor.store.config import IatiOrganisation, IatiSettings

if TYPE_CHECKING:
    from duckdb import DuckDBPyConnection

IATI_VERSION = "2.03"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
PERCENT_UNITS = {"percent", "%", "pct", "share"}
END_YEAR = 2030


def require_settings(settings: IatiSettings | None, config_path: Path) -> IatiSettings:
    """The `[iati]` settings, or a message that says what to add (an activity without a reporting org is invalid)."""
    if settings is None or settings.reporting_org.ref is None:
        missing = "[iati] is missing" if settings is None else "[iati.reporting_org] has no `ref`"
        raise C2CError(
            f"{config_path}: {missing}: an IATI activity needs the reporting organisation's IATI identifier",
            hint="add an [iati.reporting_org] table with ref (e.g. \"XM-DAC-5-7\"), name and type to c2c.toml; "
                 "see the README, section IATI")
    return settings


def _narrative(parent: etree._Element, tag: str, text: str, lang: str | None = None) -> etree._Element:
    el = etree.SubElement(parent, tag)
    n = etree.SubElement(el, "narrative")
    if lang:
        n.set(XML_LANG, lang)
    n.text = xml_text(text)
    return el


def _org(parent: etree._Element, tag: str, org: IatiOrganisation, role: str | None) -> None:
    el = etree.SubElement(parent, tag)
    if org.ref:
        el.set("ref", org.ref)
    el.set("type", org.type)
    if role is not None:
        el.set("role", role)
    etree.SubElement(el, "narrative").text = xml_text(org.name)


def _measure(row: IndicatorRow) -> str:
    return "2" if row.unit.strip().lower() in PERCENT_UNITS else "1"


def _value(v: float) -> str:
    return f"{v:.10g}"


def _years(row: IndicatorRow) -> dict[int, float]:
    """One value per year: the newest period of each year (a quarterly series reports its latest quarter)."""
    out: dict[int, float] = {}
    for period, value in row.series:
        if value is None or len(period) < 4 or not period[:4].isdigit():
            continue
        out[int(period[:4])] = value  # series are in period order: a later quarter replaces an earlier one
    if not out and row.value is not None and row.period and row.period[:4].isdigit():
        out[int(row.period[:4])] = row.value
    return out


def _result(activity: etree._Element, row: IndicatorRow, lang: str) -> None:
    years = _years(row)
    if not years:
        return  # no data: IATI has no "missing" actual, and an empty result says nothing
    title = row.title + (f" ({row.city_name})" if row.city_name else "")
    result = etree.SubElement(activity, "result", type="2")
    _narrative(result, "title", title, lang)
    ind = etree.SubElement(result, "indicator", measure=_measure(row),
                           ascending="1" if row.polarity == "higher" else "0")
    _narrative(ind, "title", title, lang)
    _narrative(ind, "description", f"Unit: {row.unit}. 2030 end value {_value(row.end_value)} "
               f"({row.end_value_source}).", lang)
    un = row.sdg.count(".") == 2 and all(part.isdigit() or part.isalpha() for part in row.sdg.split("."))
    etree.SubElement(ind, "reference", vocabulary="9" if un else "99", code=row.sdg if un else row.id)
    first = min(years)
    etree.SubElement(ind, "baseline", year=str(first), value=_value(years[first]))
    for year in sorted(years):
        period = etree.SubElement(ind, "period")
        etree.SubElement(period, "period-start", {"iso-date": f"{year}-01-01"})
        etree.SubElement(period, "period-end", {"iso-date": f"{year}-12-31"})
        etree.SubElement(period, "actual", value=_value(years[year]))
    period = etree.SubElement(ind, "period")
    etree.SubElement(period, "period-start", {"iso-date": f"{END_YEAR}-01-01"})
    etree.SubElement(period, "period-end", {"iso-date": f"{END_YEAR}-12-31"})
    etree.SubElement(period, "target", value=_value(row.end_value))


def activity_xml(sb: Scoreboard, settings: IatiSettings, iso2: dict[str, str], lang: str,
                 now: dt.datetime) -> bytes:
    """The IATI 2.03 document of one partnership (bytes, UTF-8, with XML declaration)."""
    assert settings.reporting_org.ref is not None  # require_settings checked it
    stamp = now.astimezone(dt.UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
    root = etree.Element("iati-activities", {"version": IATI_VERSION, "generated-datetime": stamp})
    activity = etree.SubElement(root, "iati-activity", {"last-updated-datetime": stamp, XML_LANG: lang,
                                                        "default-currency": settings.currency})
    p = sb.partnership
    etree.SubElement(activity, "iati-identifier").text = f"{settings.reporting_org.ref}-{p.id}"
    _org(activity, "reporting-org", settings.reporting_org, None)
    _narrative(activity, "title", p.name)
    desc = p.description or f"City-to-city partnership {p.name}" + (f": {p.theme}" if p.theme else "")
    _narrative(activity, "description", desc).set("type", "1")
    for org in settings.participating_orgs:
        _org(activity, "participating-org", org, org.role)
    for city in p.cities:
        _org(activity, "participating-org", IatiOrganisation(name=f"City of {city.name}", type="11", role="4"), "4")
    etree.SubElement(activity, "activity-status", code="2")  # implementation
    start = f"{p.start_year}-01-01" if p.start_year else now.date().isoformat()
    etree.SubElement(activity, "activity-date", {"iso-date": start, "type": "2" if p.start_year else "1"})
    partner = next((c for c in p.cities if c.role == "partner"), None)
    if partner is not None and iso2.get(partner.id):
        etree.SubElement(activity, "recipient-country", code=iso2[partner.id], percentage="100")
    etree.SubElement(activity, "sector", code=settings.sector, vocabulary="1", percentage="100")
    for goal in sorted(set(p.sdgs)):
        if 1 <= goal <= 17:
            etree.SubElement(activity, "tag", code=str(goal), vocabulary="2")
    for row in sb.indicators:
        _result(activity, row, lang)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def city_iso2(con: DuckDBPyConnection, sbs: list[Scoreboard]) -> dict[str, str]:
    from c2c_monitor.store import reads

    ids = sorted({c.id for sb in sbs for c in sb.partnership.cities})
    return reads.city_iso2(con, ids)


def write_iati(sbs: list[Scoreboard], settings: IatiSettings, iso2: dict[str, str], folder: Path, lang: str,
               now: dt.datetime | None = None) -> list[Path]:
    """One file per partnership in `folder`, each written atomically."""
    now = now or dt.datetime.now(dt.UTC)
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for sb in sbs:
        path = folder / f"{sb.partnership.id}.xml"
        with replacing(path) as tmp:
            tmp.write_bytes(activity_xml(sb, settings, iso2, lang, now))
        out.append(path)
    return out
