"""Where the definition folders are: next to the sources in a checkout, inside the wheel otherwise."""

from __future__ import annotations

from pathlib import Path

_PKG = Path(__file__).resolve().parent


def definitions_dir(name: str) -> Path:
    shipped = _PKG / "_defs" / name
    if shipped.is_dir():
        return shipped
    return _PKG.parent / name
