"""Stage 1, definitions: what the framework is, as data read from files and checked on load.

Owns the indicator catalogue, the ten principles with their questions and scale, the scoring rules, the
records schemas, the period grammar and YAML loading with line numbers. Reads only definition files.
May import: nothing of c2c_monitor but `errors` (every later stage builds on it).
"""
