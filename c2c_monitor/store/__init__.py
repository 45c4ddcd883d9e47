"""Stage 2, store: the workspace (one DuckDB file, its lock and `c2c.toml`), its schema and migrations.

Owns every read of the store (`reads`, with the "as of vintage" window defined once), vintages,
transactions, atomic file replacement and the catalogue listing cache.
May import: `definitions`.
"""
