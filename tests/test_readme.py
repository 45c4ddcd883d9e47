"""The README's example commands are run, so the docs cannot rot."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from .conftest import ROOT, run_c2c


def _console_commands() -> list[list[str]]:
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```console\n(.*?)```", text, re.S)
    return [shlex.split(line[2:]) for b in blocks for line in b.splitlines() if line.startswith("$ ")]


def test_readme_guides_run(tmp_path: Path) -> None:
    # Run from a folder laid out like a checkout: examples/ here and ../shared beside it.
    cwd = tmp_path / "checkout"
    cwd.mkdir()
    (cwd / "examples").symlink_to(ROOT / "examples")
    (tmp_path / "shared").symlink_to(ROOT.parent / "shared")
    cmds = _console_commands()
    assert len(cmds) >= 8
    for argv in cmds:
        assert argv[0] == "c2c"
        res = run_c2c(*argv[1:], cwd=cwd)
        assert res.returncode == 0, f"{' '.join(argv)}: {res.stderr}"
    assert (cwd / "bonn.html").exists() and (cwd / "lisbon-praia.csv").exists()


def test_readme_starts_with_the_two_commands() -> None:
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```sh\n(.*?)```", text, re.S)
    assert "c2c demo" in blocks[0] and "pip install -e" in blocks[0]
    assert "pytest" in blocks[1]
    ci = (ROOT / ".ci" / "run").read_text()
    assert blocks[0].strip() in ci and blocks[1].strip() in ci


def test_every_source_path_the_readme_names_exists() -> None:
    # The Architecture section points newcomers at files; a move must not leave it pointing at nothing.
    text = (ROOT / "README.md").read_text()
    paths = set(re.findall(r"`(c2c_monitor/[\w/.]+|tests/[\w/.]+\.py)`", text))
    assert len(paths) >= 5
    missing = sorted(p for p in paths if not (ROOT / p).exists())
    assert not missing, missing
