"""What a reader's page takes from the workspace's c2c.toml: the site's title and the page language."""

from __future__ import annotations

import re
from pathlib import Path

from .conftest import run_c2c


def _set(ws: Path, key: str, value: str) -> None:
    cfg = ws / "c2c.toml"
    text = cfg.read_text(encoding="utf-8")
    text, n = re.subn(rf"(?m)^{key} = .*$", f"{key} = {value}", text)
    if not n:
        text += f"{key} = {value}\n"
    cfg.write_text(text, encoding="utf-8")


def _title(page: Path) -> str:
    m = re.search(r"<title>(.*?)</title>", page.read_text(encoding="utf-8"))
    assert m
    return m.group(1)


def test_init_writes_a_site_title_that_is_not_the_folder_name(tmp_path: Path) -> None:
    ws = tmp_path / "my-ws"
    assert run_c2c("init", str(ws)).returncode == 0
    cfg = (ws / "c2c.toml").read_text(encoding="utf-8")
    assert 'title = "City-to-city partnerships"' in cfg and 'name = "my-ws"' in cfg


def test_the_site_title_comes_from_c2c_toml_and_title_overrides_it(demo_copy: Path, tmp_path: Path) -> None:
    _set(demo_copy, "title", '"Rome principles in Bonn & Lyon"')
    site = tmp_path / "s"
    res = run_c2c("publish", "bonn-cape-coast", "-w", str(demo_copy), "-o", str(site), "--no-pdf", "-q")
    assert res.returncode == 0, res.stderr
    for page in site.rglob("*.html"):
        assert _title(page).endswith(" · Rome principles in Bonn &amp; Lyon"), page
    res = run_c2c("publish", "bonn-cape-coast", "-w", str(demo_copy), "-o", str(site), "--no-pdf", "-q",
                  "--title", "Once only")
    assert res.returncode == 0, res.stderr
    assert _title(site / "index.html") == "Partnerships · Once only"


def test_a_workspace_without_the_setting_keeps_its_old_title(demo_copy: Path, tmp_path: Path) -> None:
    cfg = demo_copy / "c2c.toml"
    cfg.write_text(re.sub(r"(?m)^title = .*\n", "", cfg.read_text(encoding="utf-8")), encoding="utf-8")
    site = tmp_path / "s"
    res = run_c2c("publish", "bonn-cape-coast", "-w", str(demo_copy), "-o", str(site), "--no-pdf", "-q")
    assert res.returncode == 0, res.stderr
    assert _title(site / "index.html") == "Partnerships · demo: city-to-city partnerships"


def test_a_bad_title_or_language_is_one_line_and_exit_2(demo_copy: Path, tmp_path: Path) -> None:
    # The message names the file and the setting (c2c.toml is checked by one model, store/config.py).
    for key, value, words in [("title", '""', "title:"), ("title", "3", "title:"),
                              ("language", '"en\\" onload=\\"x"', "language:")]:
        original = (demo_copy / "c2c.toml").read_text(encoding="utf-8")
        _set(demo_copy, key, value)
        res = run_c2c("publish", "bonn-cape-coast", "-w", str(demo_copy), "-o", str(tmp_path / "s"), "--no-pdf", "-q")
        assert res.returncode == 2 and words in res.stderr and "c2c.toml" in res.stderr, res.stderr
        assert len(res.stderr.strip().splitlines()) == 1 and "Traceback" not in res.stderr
        assert not (tmp_path / "s").exists()
        (demo_copy / "c2c.toml").write_text(original, encoding="utf-8")


def test_assess_and_compare_pages_are_in_the_workspace_s_language(demo_copy: Path, tmp_path: Path) -> None:
    pages = {"assess": ["assess", "bonn-cape-coast"], "compare": ["compare", "bonn-cape-coast", "lisbon-praia"]}
    for lang in ("en", "fr"):
        _set(demo_copy, "language", f'"{lang}"')
        for name, args in pages.items():
            out = tmp_path / f"{name}-{lang}.html"
            res = run_c2c(*args, "-w", str(demo_copy), "--format", "html", "-o", str(out))
            assert res.returncode == 0, res.stderr
            assert re.search(r"<html lang=\"(\w+)\">", out.read_text(encoding="utf-8")).group(1) == lang, name
