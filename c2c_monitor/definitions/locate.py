"""Where the definition folders are: next to the sources in a checkout, inside the wheel otherwise."""

from __future__ import annotations

from pathlib import Path

# This file is c2c_monitor/definitions/locate.py: the package is two levels up.
_PKG = Path(__file__).resolve().parent.parent


def definitions_dir(name: str) -> Path:
    shipped = _PKG / "_defs" / name
    if shipped.is_dir():
        return shipped
    return _PKG.parent / name
