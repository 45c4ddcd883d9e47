"""SDMX codes for what c2c stores in its own words: units, frequencies, sex and age.

Publishing writes these codes (SDMX-CSV and the SDMX-ML structure beside it); ingest reads them back
into the same words, so that a published file loaded into the workspace it came from changes nothing.
Codes are those of the SDG global DSD and the SDMX cross-domain code lists where one exists; the few
units they lack get a code of the same shape, declared in the published CL_UNIT_MEASURE.
"""

from __future__ import annotations

import re

AGENCY = "C2C"
DATAFLOW = "C2C_CITY_SDG"
DSD = "DSD_C2C_CITY_SDG"
VERSION = "1.0"
STRUCTURE_ID = f"{AGENCY}:{DATAFLOW}({VERSION})"

# Catalogue unit -> CL_UNIT_MEASURE code (SDG DSD codes: PT, NUMBER, PER_100000_POP, PER_100_POP, MCG_M3).
UNIT_CODES: dict[str, tuple[str, str]] = {
    "percent": ("PT", "Percent"),
    "count": ("NUMBER", "Number"),
    "per 100,000": ("PER_100000_POP", "Per 100,000 population"),
    "per 100 inhabitants": ("PER_100_POP", "Per 100 population"),
    "µg/m3": ("MCG_M3", "Micrograms per cubic metre"),
    "EUR per capita": ("EUR_PER_CAP", "Euro per capita"),
    "EUR per EUR": ("EUR_PER_EUR", "Euro per euro"),
    "m2 per inhabitant": ("M2_PER_CAP", "Square metres per inhabitant"),
    "tCO2e per capita": ("T_CO2E_PER_CAP", "Tonnes of CO2 equivalent per capita"),
    "person-days": ("PERSON_DAYS", "Person-days"),
    "yes/no": ("BINARY", "Yes (1) or no (0)"),
}
UNIT_OF_CODE = {code.lower(): unit for unit, (code, _) in UNIT_CODES.items()}

FREQ = {"A": "Annual", "Q": "Quarterly"}
SEX = {"F": "Female", "M": "Male", "_O": "Other", "_U": "Unknown", "_T": "Total"}
# The words c2c's own files use (the long format, the template) for each CL_SEX code.
SEX_WORDS = {"female": "F", "male": "M", "other": "_O", "unknown": "_U"}
WORD_OF_SEX = {v: k for k, v in SEX_WORDS.items()}
# Dimensions of the DSD besides REF_AREA, INDICATOR, FREQ and TIME_PERIOD: the disaggregations the catalogue
# uses. A stored disaggregation by anything else has no column in the DSD and is left out of SDMX exports.
DISAGG_DIMENSIONS = ("sex", "age")

_AGE_RANGE = re.compile(r"^(\d{1,3})\s*[-–]\s*(\d{1,3})$")
_AGE_PLUS = re.compile(r"^(\d{1,3})\s*\+$")
_AGE_UNDER = re.compile(r"^<\s*(\d{1,3})$")
_SDMX_RANGE = re.compile(r"^Y(\d{1,3})T(\d{1,3})$")
_SDMX_GE = re.compile(r"^Y_GE(\d{1,3})$")
_SDMX_LT = re.compile(r"^Y_LT(\d{1,3})$")


def sex_code(value: str) -> str | None:
    """CL_SEX code of a stored sex value ('female' or already 'F'); None when it has none."""
    v = value.strip()
    if v.upper() in SEX and v.upper() != "_T":
        return v.upper()
    return SEX_WORDS.get(v.lower())


def age_code(value: str) -> str | None:
    """CL_AGE code of a stored age band: '15-24' -> Y15T24, '65+' -> Y_GE65, '<15' -> Y_LT15."""
    v = value.strip()
    if m := _AGE_RANGE.match(v):
        return f"Y{int(m[1])}T{int(m[2])}"
    if m := _AGE_PLUS.match(v):
        return f"Y_GE{int(m[1])}"
    if m := _AGE_UNDER.match(v):
        return f"Y_LT{int(m[1])}"
    if _SDMX_RANGE.match(v) or _SDMX_GE.match(v) or _SDMX_LT.match(v):
        return v
    return None


def age_label(code: str) -> str:
    """The band in c2c's words: inverse of age_code for the codes it makes."""
    if m := _SDMX_RANGE.match(code):
        return f"{m[1]}-{m[2]}"
    if m := _SDMX_GE.match(code):
        return f"{m[1]}+"
    if m := _SDMX_LT.match(code):
        return f"<{m[1]}"
    return code


def dimension_code(name: str, value: str) -> str | None:
    """SDMX code of one stored disaggregation value, or None when the DSD has no code for it."""
    n = name.strip().lower()
    if n == "sex":
        return sex_code(value)
    if n == "age":
        return age_code(value)
    return None


def canonical(name: str, value: str) -> tuple[str, str]:
    """A disaggregation in c2c's words: 'SEX=F' and 'Sex=female' are both ('sex', 'female'); 'AGE=Y15T24' is
    ('age', '15-24'). Other names and values are kept as given."""
    n = name.strip().lower()
    if n == "sex" and (code := sex_code(value)) is not None:
        return n, WORD_OF_SEX[code]
    if n == "age" and (code := age_code(value)) is not None:
        return n, age_label(code)
    return name, value
