"""Stage 4, engine: indicators evaluated from the store, as declared computations compiled twice.

Each computation becomes polars expressions and parameterised DuckDB SQL with the same semantics (listed
in `spec.py`; tests hold the two backends to one answer). `evaluate.py` stages what a run reads.
May import: `definitions`, `store`.
"""

from c2c_monitor.engine.spec import OUTPUT_COLUMNS, Grain

__all__ = ["OUTPUT_COLUMNS", "Grain"]
