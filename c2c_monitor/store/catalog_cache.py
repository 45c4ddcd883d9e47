"""A cached, validated listing of the catalogue for the commands that only read it.

Importing pydantic and building the catalogue's models costs a few hundred milliseconds, more than
the whole of `c2c catalog list` should take. The listing is therefore kept as plain JSON under the
user's cache folder, keyed by a hash of every definition file: any edit gives a new key, and the
JSON is written only after a full validation, so a cached listing is always of a valid catalogue.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from c2c_monitor import __version__
from c2c_monitor.definitions.locate import definitions_dir
from c2c_monitor.store.atomic import replacing


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "c2c-monitor"


def _digest(folder: Path) -> str:
    h = hashlib.sha256(__version__.encode())
    for path in sorted([*folder.glob("*.yaml"), *folder.glob("*.csv")]):
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:32]


def listing() -> list[dict[str, Any]]:
    """Every indicator as `model_dump(mode="json")` plus `_sdg_label`, `_sdg_goal` and `_lists`, in catalogue order."""
    folder = definitions_dir("indicators")
    cache = _cache_dir() / f"catalog-{_digest(folder)}.json"
    try:
        data = json.loads(cache.read_text(encoding="utf-8"))
        if isinstance(data, list):
            return data
    except (OSError, ValueError):
        pass
    from c2c_monitor.definitions.catalog import load_catalogue

    rows = [{**i.model_dump(mode="json"), "_sdg_label": i.sdg.label, "_sdg_goal": i.sdg.goal_number,
             "_lists": list(i.lists)} for i in load_catalogue().ordered]
    try:
        with replacing(cache) as tmp:
            tmp.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    except OSError:  # a read-only home is no reason to fail a listing
        pass
    return rows


def select(rows: list[dict[str, Any]], list_name: str | None = None, sdg: int | None = None,
           dac: str | None = None, principle: str | None = None, ec: str | None = None,
           family: str | None = None) -> list[dict[str, Any]]:
    """The same filters as `Catalogue.select`, on the cached rows."""
    return [r for r in rows
            if (not list_name or list_name in r["_lists"]) and (sdg is None or r["_sdg_goal"] == sdg)
            and (not dac or dac in r["dac"]) and (not principle or principle in r["principles"])
            and (not ec or r["ec_objective"] == ec) and (not family or r["family"] == family)]


def public(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if not k.startswith("_")}
