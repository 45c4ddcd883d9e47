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
from typing import TYPE_CHECKING, Any

from c2c_monitor import __version__
from c2c_monitor.definitions.locate import definitions_dir
from c2c_monitor.store.atomic import replacing

if TYPE_CHECKING:
    from c2c_monitor.definitions.catalog import Catalogue, Indicator
    from c2c_monitor.definitions.principles import Framework


def cache_dir() -> Path:
    """Where c2c keeps what it can rebuild (parsed definitions, compiled templates): `$XDG_CACHE_HOME` or ~/.cache."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "c2c-monitor"


def _digest(folder: Path, *more: Path | None) -> str:
    """A key over c2c's version and every definition file (name and bytes) of the folders: any edit changes it.

    Folders after the first (a workspace's own indicators) also put their path in the key, as the parsed
    definitions name their files.
    """
    h = hashlib.sha256(__version__.encode())
    for i, f in enumerate((folder, *more)):
        if f is None or not f.is_dir():
            continue
        if i:
            h.update(b"\1" + str(f.resolve()).encode() + b"\1")
        for path in sorted([*f.glob("*.yaml"), *f.glob("*.csv")]):
            h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:32]


def _read_cached(cache: Path) -> Any:
    try:
        return json.loads(cache.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _write_cached(cache: Path, text: str) -> None:
    try:
        with replacing(cache) as tmp:
            tmp.write_text(text, encoding="utf-8")
    except OSError:  # a read-only home is no reason to fail a command
        pass


def _dumped(ind: Indicator) -> dict[str, Any]:
    """An indicator as JSON with its title in every language: the model's own JSON form (`assess --format
    json`) gives the English title only, and a cache read back from it would lose the translations."""
    data: dict[str, Any] = ind.model_dump(mode="json")
    data["title"] = ind.title_text.model_dump(mode="json", exclude_none=True)
    return data


def catalogue(own_folder: Path | None = None) -> Catalogue:
    """`load_catalogue(own_folder=...)`, parsed once: later runs read the validated models back from JSON.

    Parsing the YAML and running the cross-file checks is most of a small command's work after its imports;
    the JSON is written only after they passed, under a key that any edit of a definition file changes, and
    it is read back through the same pydantic models (a damaged or foreign file is ignored and rebuilt).
    """
    from pydantic import ValidationError

    from c2c_monitor.definitions.catalog import Catalogue, Indicator, load_catalogue

    # "-2": the file's layout (titles in every language); a file of an older layout is never read.
    cache = cache_dir() / f"catalogue-2-{_digest(definitions_dir('indicators'), own_folder)}.json"
    data = _read_cached(cache)
    if isinstance(data, dict):
        try:
            return Catalogue(indicators={k: Indicator.model_validate(v) for k, v in data["indicators"].items()},
                             version=data["version"], files=data["files"])
        except (KeyError, TypeError, AttributeError, ValidationError):
            pass
    cat = load_catalogue(own_folder=own_folder)
    _write_cached(cache, json.dumps({"indicators": {k: _dumped(i) for k, i in cat.indicators.items()},
                                     "version": cat.version, "files": cat.files}, ensure_ascii=False))
    return cat


def framework() -> Framework:
    """`load_framework()`, parsed once and read back from validated JSON like `catalogue`."""
    from pydantic import ValidationError

    from c2c_monitor.definitions.principles import Framework, load_framework

    cache = cache_dir() / f"framework-{_digest(definitions_dir('g20_principles'))}.json"
    data = _read_cached(cache)
    if isinstance(data, dict):
        try:
            return Framework.model_validate(data)
        except ValidationError:
            pass
    fw = load_framework()
    _write_cached(cache, fw.model_dump_json())
    return fw


def listing() -> list[dict[str, Any]]:
    """Every indicator as `model_dump(mode="json")` plus `_sdg_label`, `_sdg_goal` and `_lists`, in catalogue order."""
    folder = definitions_dir("indicators")
    cache = cache_dir() / f"catalog-{_digest(folder)}.json"
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
