"""The evaluation engine: declared computations compiled to polars or to DuckDB SQL.

Both backends implement the same semantics, which tests hold them to:

* A group is a (partnership, period) in which the dataset has at least one row,
  whatever the filters; periods with no rows at all are missing ("no data").
* count / sum over the rows that match the filters (0 when none match);
  share = 100 x numerator / denominator; ratio = numerator / denominator x scale;
  per_capita = aggregate / population x per; growth = % change on the
  immediately preceding period; in_place = 1 once a matching row exists on or
  before the period, evaluated over the periods of the dataset and of the
  partnership's activities (what is in place stays in place).
* A zero or missing denominator gives a missing value with a reason, never inf/NaN.
"""

from c2c_monitor.engine.spec import OUTPUT_COLUMNS, Grain

__all__ = ["OUTPUT_COLUMNS", "Grain"]
