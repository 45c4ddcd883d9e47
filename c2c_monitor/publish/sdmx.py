"""The indicator series as SDMX: SDMX-CSV 2.0 data and, beside it, the SDMX-ML 2.1 structure message that
describes it (dataflow, data structure definition, concepts and the code lists the data uses).

The column set is the DSD's, whatever the data holds: FREQ, REF_AREA, INDICATOR, SEX, AGE, TIME_PERIOD,
OBS_VALUE, UNIT_MEASURE, OBS_STATUS. A stored disaggregation the DSD has no dimension or code for is left
out of the export and said in a note (the Open SDG export still carries it).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl
from lxml import etree

from c2c_monitor.definitions import sdmx_codes as sc
from c2c_monitor.definitions.catalog import Catalogue
from c2c_monitor.ingest.validate import OBS_STATUS
from c2c_monitor.store.cells import xml_text

COLUMNS = ["STRUCTURE", "STRUCTURE_ID", "ACTION", "FREQ", "REF_AREA", "INDICATOR", "SEX", "AGE", "TIME_PERIOD",
           "OBS_VALUE", "UNIT_MEASURE", "OBS_STATUS"]
DIMENSIONS = ["FREQ", "REF_AREA", "INDICATOR", "SEX", "AGE"]  # then the time dimension TIME_PERIOD
# The SDMX basic time periods (SDMX standard, section 6, "Time period"): what TIME_PERIOD may hold.
PERIOD_PATTERN = (r"\d{4}(-(A1|S[12]|T[1-3]|Q[1-4]|M(0[1-9]|1[0-2])|W(0[1-9]|[1-4][0-9]|5[0-3])"
                  r"|D(00[1-9]|0[1-9][0-9]|[12][0-9][0-9]|3[0-5][0-9]|36[0-6])|(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01]))?))?")

MES = "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message"
STR = "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/structure"
COM = "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
CONCEPTS = {"FREQ": "Frequency", "REF_AREA": "Reference area (city)", "INDICATOR": "Indicator",
            "SEX": "Sex", "AGE": "Age", "TIME_PERIOD": "Time period", "OBS_VALUE": "Observation value",
            "UNIT_MEASURE": "Unit of measure", "OBS_STATUS": "Observation status"}
CODELIST_OF = {"FREQ": "CL_FREQ", "REF_AREA": "CL_AREA", "INDICATOR": "CL_INDICATOR", "SEX": "CL_SEX",
               "AGE": "CL_AGE", "UNIT_MEASURE": "CL_UNIT_MEASURE", "OBS_STATUS": "CL_OBS_STATUS"}


@dataclass
class SdmxExport:
    data: pl.DataFrame
    notes: list[str] = field(default_factory=list)


def _dimension_values(obs: pl.DataFrame) -> tuple[pl.DataFrame, list[str]]:
    """SEX and AGE codes per distinct disaggregation key; keys with no DSD code are dropped, with a note."""
    rows, dropped = [], {}
    for key in obs["disagg"].unique().to_list():
        codes = {"sex": "_T", "age": "_T"}
        why = None
        for part in filter(None, (key or "").split("|")):
            name, _, value = part.partition("=")
            if name.strip().lower() not in sc.DISAGG_DIMENSIONS:
                why = f"disaggregation {name!r} is not a dimension of the DSD"
            elif (code := sc.dimension_code(name, value)) is None:
                why = f"{name}={value!r} has no SDMX code"
            else:
                codes[name.strip().lower()] = code
        if why:
            dropped[key] = why
        else:
            rows.append({"disagg": key, "SEX": codes["sex"], "AGE": codes["age"]})
    notes = []
    if dropped:
        n = obs.filter(pl.col("disagg").is_in(list(dropped))).height
        notes.append(f"SDMX export: {n} observation(s) left out: {sorted(set(dropped.values()))[0]}"
                     + (f" (and {len(set(dropped.values())) - 1} more reason(s))" if len(set(dropped.values())) > 1
                        else ""))
    table = pl.DataFrame(rows, schema={"disagg": pl.String, "SEX": pl.String, "AGE": pl.String})
    return table, notes


def sdmx_csv(obs: pl.DataFrame, cat: Catalogue) -> SdmxExport:
    """SDMX-CSV 2.0, one row per observation, in the DSD's columns; units from the catalogue as CL_UNIT_MEASURE."""
    units = {i.observation_code: sc.UNIT_CODES[i.unit][0] if i.unit in sc.UNIT_CODES else None
             for i in cat.indicators.values() if i.family == "city"}
    dims, notes = _dimension_values(obs)
    df = obs.join(dims, on="disagg", how="inner", maintain_order="left")
    out = df.select(
        pl.lit("dataflow").alias("STRUCTURE"), pl.lit(sc.STRUCTURE_ID).alias("STRUCTURE_ID"),
        pl.lit("I").alias("ACTION"),
        pl.when(pl.col("period").str.contains("-Q")).then(pl.lit("Q")).otherwise(pl.lit("A")).alias("FREQ"),
        pl.col("city_id").alias("REF_AREA"), pl.col("code").alias("INDICATOR"), "SEX", "AGE",
        pl.col("period").alias("TIME_PERIOD"), pl.col("value").alias("OBS_VALUE"),
        pl.col("code").replace_strict(units, default=None, return_dtype=pl.String).alias("UNIT_MEASURE"),
        pl.col("obs_status").alias("OBS_STATUS"),
    )
    return SdmxExport(out, notes)


def _name(parent: etree._Element, text: str) -> None:
    el = etree.SubElement(parent, f"{{{COM}}}Name")
    el.set(XML_LANG, "en")
    el.text = xml_text(text)  # a name stored before imports refused control characters must not stop the export


def _maintainable(parent: etree._Element, tag: str, id_: str, name: str) -> etree._Element:
    el = etree.SubElement(parent, f"{{{STR}}}{tag}", id=id_, agencyID=sc.AGENCY, version=sc.VERSION)
    _name(el, name)
    return el


def _ref(parent: etree._Element, tag: str, **attrs: str) -> None:
    # In SDMX-ML 2.1 the Ref element is in no namespace.
    wrapper = etree.SubElement(parent, f"{{{STR}}}{tag}")
    etree.SubElement(wrapper, "Ref", attrs)


def _concept_identity(parent: etree._Element, concept: str) -> None:
    _ref(parent, "ConceptIdentity", id=concept, maintainableParentID="CS_C2C", maintainableParentVersion=sc.VERSION,
         agencyID=sc.AGENCY, package="conceptscheme", **{"class": "Concept"})


def _enumeration(parent: etree._Element, codelist: str) -> None:
    rep = etree.SubElement(parent, f"{{{STR}}}LocalRepresentation")
    _ref(rep, "Enumeration", id=codelist, version=sc.VERSION, agencyID=sc.AGENCY, package="codelist",
         **{"class": "Codelist"})


def _text_format(parent: etree._Element, text_type: str) -> None:
    rep = etree.SubElement(parent, f"{{{STR}}}LocalRepresentation")
    etree.SubElement(rep, f"{{{STR}}}TextFormat", textType=text_type)


def structure_xml(data: pl.DataFrame, cat: Catalogue, city_names: dict[str, str], prepared: str) -> bytes:
    """The SDMX-ML 2.1 structure message of `data` (an sdmx_csv frame): its code lists hold the codes used."""
    used = {c: sorted(data[c].drop_nulls().unique().to_list()) for c in ("REF_AREA", "INDICATOR", "AGE")}
    titles = {i.observation_code: i.title for i in cat.indicators.values() if i.family == "city"}
    ages = {c: "Total" if c == "_T" else f"Age {sc.age_label(c)}" for c in used["AGE"] or ["_T"]}
    codelists: dict[str, tuple[str, dict[str, str]]] = {
        "CL_FREQ": ("Frequency", dict(sc.FREQ)),
        "CL_AREA": ("Cities", {c: city_names.get(c, c) for c in used["REF_AREA"]}),
        "CL_INDICATOR": ("Indicators of the c2c catalogue", {c: titles.get(c, c) for c in used["INDICATOR"]}),
        "CL_SEX": ("Sex", dict(sc.SEX)),
        "CL_AGE": ("Age", ages),
        "CL_UNIT_MEASURE": ("Unit of measure", {code: name for code, name in sc.UNIT_CODES.values()}),
        "CL_OBS_STATUS": ("Observation status", {k: v[:1].upper() + v[1:] for k, v in OBS_STATUS.items()}),
    }
    root = etree.Element(f"{{{MES}}}Structure", nsmap={"mes": MES, "str": STR, "com": COM})
    head = etree.SubElement(root, f"{{{MES}}}Header")
    etree.SubElement(head, f"{{{MES}}}ID").text = sc.DATAFLOW
    etree.SubElement(head, f"{{{MES}}}Test").text = "false"
    etree.SubElement(head, f"{{{MES}}}Prepared").text = prepared
    etree.SubElement(head, f"{{{MES}}}Sender", id=sc.AGENCY)
    structures = etree.SubElement(root, f"{{{MES}}}Structures")
    # The schema fixes the order: dataflows, code lists, concepts, data structures.
    flows = etree.SubElement(structures, f"{{{STR}}}Dataflows")
    flow = _maintainable(flows, "Dataflow", sc.DATAFLOW, "SDG indicators of partner cities (c2c-monitor)")
    _ref(flow, "Structure", id=sc.DSD, version=sc.VERSION, agencyID=sc.AGENCY, package="datastructure",
         **{"class": "DataStructure"})
    lists = etree.SubElement(structures, f"{{{STR}}}Codelists")
    for cl_id, (name, codes) in codelists.items():
        cl = _maintainable(lists, "Codelist", cl_id, name)
        for code, label in codes.items():
            _name(etree.SubElement(cl, f"{{{STR}}}Code", id=code), label)
    concepts = etree.SubElement(structures, f"{{{STR}}}Concepts")
    scheme = _maintainable(concepts, "ConceptScheme", "CS_C2C", "Concepts of c2c-monitor open data")
    for cid, label in CONCEPTS.items():
        _name(etree.SubElement(scheme, f"{{{STR}}}Concept", id=cid), label)
    dsds = etree.SubElement(structures, f"{{{STR}}}DataStructures")
    dsd = _maintainable(dsds, "DataStructure", sc.DSD, "City SDG indicator series")
    comps = etree.SubElement(dsd, f"{{{STR}}}DataStructureComponents")
    dim_list = etree.SubElement(comps, f"{{{STR}}}DimensionList", id="DimensionDescriptor")
    for pos, dim in enumerate(DIMENSIONS, start=1):
        d = etree.SubElement(dim_list, f"{{{STR}}}Dimension", id=dim, position=str(pos))
        _concept_identity(d, dim)
        _enumeration(d, CODELIST_OF[dim])
    t = etree.SubElement(dim_list, f"{{{STR}}}TimeDimension", id="TIME_PERIOD", position=str(len(DIMENSIONS) + 1))
    _concept_identity(t, "TIME_PERIOD")
    _text_format(t, "ObservationalTimePeriod")
    attrs = etree.SubElement(comps, f"{{{STR}}}AttributeList", id="AttributeDescriptor")
    for attr, status in (("UNIT_MEASURE", "Mandatory"), ("OBS_STATUS", "Conditional")):
        a = etree.SubElement(attrs, f"{{{STR}}}Attribute", id=attr, assignmentStatus=status)
        _concept_identity(a, attr)
        _enumeration(a, CODELIST_OF[attr])
        rel = etree.SubElement(a, f"{{{STR}}}AttributeRelationship")
        etree.SubElement(etree.SubElement(rel, f"{{{STR}}}PrimaryMeasure"), "Ref", id="OBS_VALUE")
    measures = etree.SubElement(comps, f"{{{STR}}}MeasureList", id="MeasureDescriptor")
    m = etree.SubElement(measures, f"{{{STR}}}PrimaryMeasure", id="OBS_VALUE")
    _concept_identity(m, "OBS_VALUE")
    _text_format(m, "Double")
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))
