"""SDMX-ML 2.1 data messages (structure-specific and generic) with their structure (DSD), as statistical
offices publish them, read into the canonical raw frame of the other readers.

    read_sdmx_ml(path, structure=None) -> (frame, findings)

The XML is first parsed by lxml with a hardened parser (no entity expansion, no DTD, no network, no huge
trees) and a message with a DOCTYPE is refused, so nothing the file declares is ever expanded; only then
does `sdmx1` read the message with its DSD. lxml also gives each observation its line, for findings.
Without `structure`, a structure message beside the file (or in its parent folder) is used when there is
exactly one that defines the DSD the message names.

Mapping: the SERIES (or INDICATOR) dimension is the source code (UN global series codes such as
SI_POV_DAY1 name catalogue indicators through their `sdg.series`), REF_AREA the area (its code-list name
is kept in `area_names`, so that an area can be matched to a workspace city by name), UNIT_MEASURE the
unit, OBS_STATUS the status, UNIT_MULT is applied to the value, and every other dimension but FREQ and
REPORTING_TYPE is a disaggregation (totals `_T`/`_Z` are the headline).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import polars as pl
from lxml import etree

from c2c_monitor.errors import Finding
from c2c_monitor.ingest.textfile import ReadError
from c2c_monitor.ingest.unitmult import apply_unit_mult

MAX_XML_BYTES = 512 * 1024**2  # a tree in memory: far above any statistical office's message
MESSAGE_NS = "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message"
DATA_ROOTS = {"StructureSpecificData", "StructureSpecificTimeSeriesData", "GenericData", "GenericTimeSeriesData"}
GENERIC_NS = "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/data/generic"
NOT_DISAGG = {"FREQ", "REPORTING_TYPE", "SERIES", "INDICATOR", "REF_AREA", "TIME_PERIOD"}
CANONICAL = ["_file", "_line", "source_code", "area", "period", "value", "unit", "obs_status", "disagg", "action"]


@dataclass
class SdmxMl:
    frame: pl.DataFrame
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    area_names: dict[str, str] = field(default_factory=dict)  # REF_AREA code -> its code-list name
    series_names: dict[str, str] = field(default_factory=dict)  # SERIES code -> its code-list name


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                           huge_tree=False, remove_blank_text=True)


def parse_safely(path: Path) -> etree._ElementTree:
    """The file as an lxml tree, or a ReadError naming file and line: malformed XML, a DOCTYPE (entities
    are never expanded), an empty or oversized file."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ReadError(Finding("unreadable", str(path), f"cannot read: {exc.strerror}")) from None
    if size == 0:
        raise ReadError(Finding("empty-file", str(path), "the file is empty"))
    if size > MAX_XML_BYTES:
        raise ReadError(Finding("too-large", str(path), f"an XML file of {size} bytes is over the "
                                f"{MAX_XML_BYTES} limit"))
    try:
        tree = etree.parse(str(path), _parser())
    except etree.XMLSyntaxError as exc:
        line = exc.position[0] if exc.position else None
        msg = str(exc.msg or exc).splitlines()[0]
        raise ReadError(Finding("malformed-xml", str(path), f"not well-formed XML: {msg}", line)) from None
    except OSError as exc:
        raise ReadError(Finding("unreadable", str(path), f"cannot read: {exc}")) from None
    info: Any = tree.docinfo  # (lxml-stubs lack `doctype`)
    if info.doctype or info.internalDTD is not None or info.externalDTD is not None:
        raise ReadError(Finding("xml-doctype", str(path), "a DOCTYPE is not accepted in SDMX-ML (entities and "
                                "external DTDs are never loaded)", 1))
    return tree


def _local(tag: Any) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def root_kind(path: Path) -> str | None:
    """'data', 'structure' or None from the first bytes of a file, for format detection (no full parse)."""
    try:
        with path.open("rb") as fh:
            head = fh.read(4096)
    except OSError:
        return None
    m = re.search(rb"<(?:[\w.-]+:)?(StructureSpecificData|StructureSpecificTimeSeriesData|GenericData|"
                  rb"GenericTimeSeriesData|Structure)[\s>]", head)
    if m is None:
        return None
    return "structure" if m.group(1) == b"Structure" else "data"


def _structure_ref(root: etree._Element) -> str | None:
    """The id of the DSD the message header names (message:Structure/common:Structure/Ref@id)."""
    for el in root.iter("{*}Ref", "{*}StructureUsage", "{*}Structure"):
        if _local(el.tag) == "Ref" and el.get("id"):
            return el.get("id")
        urn = el.findtext("{*}URN")
        if urn:
            m = re.search(r"=[^:]+:([^(]+)\(", urn)
            if m:
                return m.group(1)
    return None


def _find_structure(path: Path) -> Path | None:
    """A structure message beside the data file or in its parent folder, when exactly one is there."""
    found = []
    for folder in (path.parent, path.parent.parent):
        for f in sorted(folder.glob("*.xml")):
            if f != path and root_kind(f) == "structure":
                found.append(f)
        if found:
            break
    return found[0] if len(found) == 1 else None


def _line_map(root: etree._Element, dims: list[str]) -> pl.DataFrame:
    """Each observation's dimension values and its line (structure-specific or generic, with or without
    series), for joining onto what sdmx1 reads."""
    rows: list[dict[str, Any]] = []
    generic = any(etree.QName(el).namespace == GENERIC_NS for el in root.iter("{*}Obs"))
    dimset = set(dims)
    for ds in root.iter("{*}DataSet"):
        for el in ds:
            name = _local(el.tag)
            if name == "Series":
                if generic:
                    key = {str(v.get("id")): v.get("value") for v in el.iterfind("{*}SeriesKey/{*}Value")}
                else:
                    key = {str(k): str(v) for k, v in el.attrib.items() if k in dimset}
                for obs in el.iterfind("{*}Obs"):
                    rows.append({**key, **_obs_key(obs, generic, dimset), "_line": obs.sourceline})
            elif name == "Obs":
                rows.append({**_obs_key(el, generic, dimset), "_line": el.sourceline})
    schema = {d: pl.String for d in dims} | {"_line": pl.Int64}
    return pl.DataFrame([{d: r.get(d) for d in schema} for r in rows], schema=schema)


def _obs_key(obs: etree._Element, generic: bool, dims: set[str]) -> dict[str, str | None]:
    if not generic:
        return {str(k): str(v) for k, v in obs.attrib.items() if k in dims}
    key = {v.get("id") or "": v.get("value") for v in obs.iterfind("{*}ObsKey/{*}Value")}
    dim = obs.find("{*}ObsDimension")
    if dim is not None:
        key[dim.get("id") or "TIME_PERIOD"] = dim.get("value")
    return {k: v for k, v in key.items() if k in dims}


def _names(codelist: Any) -> dict[str, str]:
    out = {}
    for code in codelist or []:
        name = code.name.localized_default() if hasattr(code.name, "localized_default") else str(code.name)
        out[str(code.id)] = str(name or "")
    return out


def _dsd_codelist(dsd: Any, dim_id: str) -> Any:
    try:
        dim = dsd.dimensions.get(dim_id)
    except KeyError:
        return None
    rep = getattr(dim, "local_representation", None)
    return getattr(rep, "enumerated", None) if rep is not None else None


def _line_of(el: etree._Element) -> int | None:
    line = el.sourceline
    return line if isinstance(line, int) else None


def _refuse(path: Path, code: str, message: str, line: int | None = None) -> ReadError:
    return ReadError(Finding(code, str(path), message, line))


@lru_cache(maxsize=4)
def _read_structure(path: str, mtime_ns: int, size: int) -> Any:
    """A structure message read once per process while unchanged (a DSD with its code lists takes a second
    to read; a folder of data messages, or `map suggest` then `ingest`, share it)."""
    import sdmx

    return sdmx.read_sdmx(Path(path))


def _structure_message(structure: Path) -> Any:
    """The structure message in `structure`, parsed safely and read by sdmx1 (cached while the file is
    unchanged); a file that is not one is refused with its line."""
    s_root = parse_safely(structure).getroot()
    if _local(s_root.tag) != "Structure":
        raise _refuse(structure, "not-sdmx-structure", f"root element {s_root.tag!r} is not an SDMX-ML "
                      "structure message", _line_of(s_root))
    st = structure.stat()
    try:
        return _read_structure(str(structure.resolve()), st.st_mtime_ns, st.st_size)
    except Exception as exc:  # sdmx1 raises many kinds; each is one finding, never a traceback
        raise _refuse(structure, "bad-sdmx-structure", f"not a readable SDMX structure: "
                      f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}") from None


def read_sdmx_ml(path: Path, structure: Path | None = None) -> tuple[pl.DataFrame, list[Finding]]:
    """The plain entry point (for `c2c map suggest` too): the canonical frame and the findings."""
    got = read_sdmx_ml_full(path, structure)
    return got.frame, got.findings


def read_sdmx_ml_full(path: Path, structure: Path | None = None) -> SdmxMl:
    import sdmx  # sdmx1 (and pandas under it): loaded only when an SDMX-ML file is read

    tree = parse_safely(path)
    root = tree.getroot()
    kind = _local(root.tag)
    if kind == "Structure":
        raise _refuse(path, "not-sdmx-ml", "a structure message, not data: pass it with --structure beside "
                      "the data message", _line_of(root))
    if kind not in DATA_ROOTS or etree.QName(root).namespace != MESSAGE_NS:
        raise _refuse(path, "not-sdmx-ml", f"root element {root.tag!r} is not an SDMX-ML 2.1 data message "
                      f"({', '.join(sorted(DATA_ROOTS))})", _line_of(root))
    notes: list[str] = []
    wanted = _structure_ref(root)
    if structure is None:
        structure = _find_structure(path)
        if structure is not None:
            notes.append(f"structure read from {structure.name}")
    if structure is None:
        raise _refuse(path, "missing-structure", "no structure (DSD) for this SDMX-ML message: pass "
                      "--structure DSD.xml (none, or more than one, beside the file)")
    sm = _structure_message(structure)
    dsds = dict(getattr(sm, "structure", {}) or {})
    dsd = dsds.get(wanted) if wanted else None
    if dsd is None and len(dsds) == 1:
        dsd = next(iter(dsds.values()))
    if dsd is None:
        raise _refuse(path, "missing-structure", f"the structure file {structure.name} does not define the DSD "
                      f"{wanted!r} this message names (it has: {', '.join(map(str, dsds)) or 'none'})")
    try:
        msg: Any = sdmx.read_sdmx(path, structure=dsd)
    except Exception as exc:  # as above: one finding
        raise _refuse(path, "bad-sdmx-ml", f"not a readable SDMX-ML data message for {dsd.id}: "
                      f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}") from None
    dims = [d.id for d in dsd.dimensions]
    frames = []
    for ds in msg.data:
        if not ds.obs:
            continue
        pdf = sdmx.to_pandas(ds, attributes="dsgo")
        frames.append(pl.from_pandas(pdf.reset_index()).with_columns(pl.all().exclude("value").cast(pl.String)))
    if not frames:
        raise _refuse(path, "no-observations", "the message holds no observation")
    data = pl.concat(frames, how="diagonal_relaxed")
    code_dim = next((d for d in ("SERIES", "INDICATOR") if d in dims), None)
    if code_dim is None or "TIME_PERIOD" not in dims:
        raise _refuse(path, "missing-column", f"the DSD {dsd.id} has no SERIES/INDICATOR or TIME_PERIOD "
                      "dimension")
    lines = _line_map(root, dims)
    key = [d for d in dims if d in data.columns]
    data = data.join(lines.select(key + ["_line"]).unique(subset=key, keep="first"), on=key, how="left",
                     nulls_equal=True)
    # The value as text, as the other readers give it: a missing one (NaN) is a blank cell.
    data = data.with_columns(pl.when(pl.col("value").is_nan()).then(None)
                             .otherwise(pl.col("value").cast(pl.String)).alias("value"))
    findings: list[Finding] = []
    data = data.with_columns(pl.lit(str(path)).alias("_file"))
    data, more = apply_unit_mult(data, path, "value", "UNIT_MULT")
    findings += more
    action = "A"
    for ds_el in root.iter("{*}DataSet"):
        act = next((v for k, v in ds_el.attrib.items() if _local(k) == "action"), None)
        if act and act.strip().lower() == "delete":
            action = "D"
    disagg_dims = [d for d in dims if d not in NOT_DISAGG]
    parts = [pl.when(pl.col(d).is_null() | pl.col(d).is_in(["_T", "_Z", ""])).then(None)
             .otherwise(pl.lit(f"{d}=") + pl.col(d)) for d in disagg_dims if d in data.columns]
    disagg = pl.concat_str(parts, separator="|", ignore_nulls=True).fill_null("") if parts else pl.lit("")

    def col(name: str) -> pl.Expr:
        return pl.col(name) if name in data.columns else pl.lit(None, pl.String)

    frame = data.select(
        pl.col("_file"), pl.col("_line").cast(pl.Int64),
        pl.col(code_dim).alias("source_code"), col("REF_AREA").alias("area"),
        pl.col("TIME_PERIOD").alias("period"), pl.col("value"), col("UNIT_MEASURE").alias("unit"),
        col("OBS_STATUS").alias("obs_status"), disagg.alias("disagg"), pl.lit(action).alias("action"),
    ).sort("_line", nulls_last=True)
    out = SdmxMl(frame.select(CANONICAL), findings, notes)
    out.area_names = _names(_dsd_codelist(dsd, "REF_AREA"))
    out.series_names = _names(_dsd_codelist(dsd, code_dim))
    if not out.area_names and "CL_REF_AREA" in getattr(sm, "codelist", {}):
        out.area_names = _names(sm.codelist["CL_REF_AREA"])
    return out


@dataclass
class CodeNames:
    """What a structure tells about data that names no DSD itself (the SDMX data-entry workbook)."""

    areas: dict[str, str] = field(default_factory=dict)  # REF_AREA code -> its code-list name
    series: dict[str, str] = field(default_factory=dict)  # SERIES code -> its code-list name
    dimensions: list[str] = field(default_factory=list)  # the DSD's order
    notes: list[str] = field(default_factory=list)


def structure_code_names(path: Path, structure: Path | None, dims: list[str], code_dim: str) -> CodeNames:
    """The REF_AREA and `code_dim` code-list names and the dimension order of the DSD in `structure`, or in the
    one structure message found beside `path` as for SDMX-ML. No structure is no names (areas are then matched
    with --map only); a broken one is refused as for SDMX-ML. Of several DSDs, the one with every dimension in
    `dims`."""
    out = CodeNames()
    if structure is None:
        structure = _find_structure(path)
        if structure is None:
            out.notes.append("no SDMX structure (DSD) beside the file: area codes are matched to cities with "
                             "--map only")
            return out
        out.notes.append(f"structure read from {structure.name}")
    sm = _structure_message(structure)
    dsds = list(dict(getattr(sm, "structure", {}) or {}).values())
    fits = [d for d in dsds if set(dims) <= {x.id for x in d.dimensions}]
    dsd = fits[0] if len(fits) == 1 else dsds[0] if len(dsds) == 1 else None
    if dsd is None:
        out.notes.append(f"the structure file {structure.name} has {len(fits) or 'no'} DSD(s) with the "
                         "workbook's dimensions: area codes are matched to cities with --map only")
        return out
    out.areas = _names(_dsd_codelist(dsd, "REF_AREA"))
    if not out.areas and "CL_REF_AREA" in getattr(sm, "codelist", {}):
        out.areas = _names(sm.codelist["CL_REF_AREA"])
    out.series = _names(_dsd_codelist(dsd, code_dim))
    out.dimensions = [d.id for d in dsd.dimensions]
    return out
