"""The catalogue and the principles are parsed once and read back from a cache keyed by the files' content.

Behaviour that matters: a cached read gives the same models as a fresh parse, a second run does not parse
again, and editing any definition file (built-in or the workspace's own) is seen on the next run.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import c2c_monitor.definitions.catalog as catalog_mod
import c2c_monitor.definitions.principles as principles_mod
from c2c_monitor.definitions.catalog import load_catalogue
from c2c_monitor.definitions.locate import definitions_dir
from c2c_monitor.definitions.principles import load_framework
from c2c_monitor.store import catalog_cache


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    return home


def _own(tmp_path: Path, title: str) -> Path:
    own = tmp_path / "own"
    own.mkdir(exist_ok=True)
    text = (definitions_dir("indicators") / "joint_workshops.yaml").read_text(encoding="utf-8")
    text = text.replace("id: joint_workshops", "id: our_workshops")
    lines: list[str] = []
    in_title = False
    for line in text.splitlines():
        if line.startswith("title:"):
            lines.append(f"title: {title}")  # one English string replaces the title and its translations
            in_title = True
        elif not (in_title and line.startswith((" ", "\t"))):
            lines.append(line)
            in_title = False
    (own / "our_workshops.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return own


def _no_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_a: object, **_k: object) -> None:
        raise AssertionError("parsed the YAML again although no definition changed")

    monkeypatch.setattr(catalog_mod, "load_catalogue", refuse)
    monkeypatch.setattr(principles_mod, "load_framework", refuse)


def test_a_cached_catalogue_equals_a_fresh_parse_and_is_not_parsed_again(
        cache_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    own = _own(tmp_path, "Our workshops")
    fresh = load_catalogue(own_folder=own)
    first = catalog_cache.catalogue(own)
    assert list(cache_home.rglob("catalogue-*.json")), "the parsed catalogue was not cached"
    _no_parsing(monkeypatch)
    second = catalog_cache.catalogue(own)
    for cat in (first, second):
        assert cat.version == fresh.version and cat.files == fresh.files
        assert cat.indicators == fresh.indicators
        assert [i.id for i in cat.ordered] == [i.id for i in fresh.ordered]
    assert second.indicators["our_workshops"].harmonised is False


def test_editing_an_own_indicator_is_seen(cache_home: Path, tmp_path: Path) -> None:
    own = _own(tmp_path, "Our workshops")
    assert catalog_cache.catalogue(own).indicators["our_workshops"].title == "Our workshops"
    _own(tmp_path, "Our joint workshops, renamed")
    assert catalog_cache.catalogue(own).indicators["our_workshops"].title == "Our joint workshops, renamed"
    # The catalogue without the workspace's own folder is a different key, never mixed up with it.
    assert "our_workshops" not in catalog_cache.catalogue(None).indicators


def test_editing_a_principle_file_is_seen(cache_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "g20_principles"
    shutil.copytree(definitions_dir("g20_principles"), folder)
    monkeypatch.setattr(catalog_cache, "definitions_dir", lambda name: folder if name == "g20_principles" else
                        definitions_dir(name))
    monkeypatch.setattr(principles_mod, "definitions_dir", catalog_cache.definitions_dir)
    assert catalog_cache.framework() == load_framework()
    p01 = folder / "P01.yaml"
    p01.write_text(p01.read_text(encoding="utf-8").replace('"Territorial approach"', '"Territorial approach, edited"'),
                   encoding="utf-8")
    fw = catalog_cache.framework()
    assert fw.principle("P01").title.get("en") == "Territorial approach, edited"
    assert fw == load_framework()


def test_a_damaged_cache_file_is_rebuilt(cache_home: Path) -> None:
    catalog_cache.framework()
    for f in cache_home.rglob("framework-*.json"):
        f.write_text('{"principles": "not a list"', encoding="utf-8")
    assert catalog_cache.framework() == load_framework()
