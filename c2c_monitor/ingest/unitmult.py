"""SDMX UNIT_MULT (and Open SDG `Unit multiplier`): a value is OBS_VALUE x 10^UNIT_MULT.

Applied where the file is read, on the value's text, exactly (decimal arithmetic: moving the decimal
point never rounds), so that the unit table (definitions/units.yaml) then converts values that are in
the series' plain unit. Only rows with a non-zero multiplier are touched.
"""

from __future__ import annotations

from decimal import Context, Decimal, InvalidOperation
from pathlib import Path

import polars as pl

from c2c_monitor.definitions.units import unit_table
from c2c_monitor.errors import Finding

MAX_POWER = 30  # beyond any statistical multiplier; a larger one is a mistake


def shift(value: str | None, power: int) -> str | None:
    """`value` x 10^power as decimal text; text that is not a finite number is returned unchanged (the
    validator words it), as is a missing value."""
    if value is None or power == 0:
        return value
    try:
        d = Decimal(value.strip())
    except InvalidOperation:
        return value
    if not d.is_finite():
        return value
    out = d.scaleb(power, Context(prec=max(len(d.as_tuple().digits), 1)))  # as many digits as given: exact
    # Plain notation (no exponent), without trailing zeros after the point.
    text = format(out, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def apply_unit_mult(frame: pl.DataFrame, path: Path, value_col: str, mult_col: str
                    ) -> tuple[pl.DataFrame, list[Finding]]:
    """Scale `value_col` by each row's multiplier in `mult_col`; an unreadable multiplier is a finding."""
    if mult_col not in frame.columns:
        return frame, []
    table = unit_table()
    powers: dict[str, int | None] = {}
    for m in frame[mult_col].unique().drop_nulls().to_list():
        powers[m] = 0 if not m.strip() else table.multiplier(m)
    bad = [m for m, p in powers.items() if p is None or abs(p) > MAX_POWER]
    if bad:
        row = frame.filter(pl.col(mult_col) == bad[0]).row(0, named=True)
        return frame, [Finding("bad-unit-mult", str(path),
                               "not a unit multiplier (a power of ten such as 0, 3, 6, or Thousands, Millions)",
                               row.get("_line"), mult_col, bad[0])]
    scaled = {m: p for m, p in powers.items() if p}
    if not scaled:
        return frame, []
    power = pl.col(mult_col).replace_strict(scaled, default=0, return_dtype=pl.Int64)
    shifted = pl.struct(pl.col(value_col), power.alias("_p")).map_elements(
        lambda r: shift(r[value_col], r["_p"]), return_dtype=pl.String)
    touched = pl.col(mult_col).is_in(list(scaled))
    frame = frame.with_columns(pl.when(touched).then(shifted).otherwise(pl.col(value_col)).alias(value_col))
    return frame, []
