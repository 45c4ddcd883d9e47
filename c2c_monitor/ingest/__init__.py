"""Stage 3, ingest: outside data into the store, validated whole before anything is written.

One small reader per format (SDMX-CSV, Open SDG, long CSV/XLSX), one vectorised validator, one atomic
load per batch (a vintage); also the partnerships and records imports and the embedded demo.
May import: `definitions`, `store`.
"""
