"""Outputs never destroy inputs: the workspace store, the files a command reads, devices, a user's files.

Each test is named after the defect it guards against (the "Outputs that destroy inputs" issue).
"""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from c2c_monitor.store.atomic import replacing

from .conftest import run_c2c

DB = "workspace.duckdb"


def _one_line_refusal(res, what: str = "refusing") -> None:  # type: ignore[no-untyped-def]
    assert res.returncode == 2, (res.stdout[-300:], res.stderr[-300:])
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and what in lines[0], res.stderr


# Every command that writes a file or a folder, pointed at the workspace's own store (or its folder).
STORE_TARGETS = {
    "assess": lambda ws: ["assess", "bonn-cape-coast", "-w", str(ws), "--format", "csv", "-o", str(ws / DB)],
    "compare": lambda ws: ["compare", "bonn-cape-coast", "-w", str(ws), "--format", "json", "-o", str(ws / DB)],
    "workshop-xlsform": lambda ws: ["workshop", "xlsform", "-w", str(ws), "-o", str(ws / DB)],
    "ingest-template": lambda ws: ["ingest", "template", "-w", str(ws), "-o", str(ws / DB)],
    "ingest-report-rejected": lambda ws: ["ingest", str(ws.parent / "bad.csv"), "-w", str(ws), "--report",
                                          str(ws / DB)],
    "records-template": lambda ws: ["records", "template", "activities", "-o", str(ws / DB)],
    "partnerships-template": lambda ws: ["partnerships", "template", "-o", str(ws / DB)],
    "records-import-report": lambda ws: ["records", "import", "activities", str(ws.parent / "bad.csv"), "-w",
                                         str(ws), "--report", str(ws / DB)],
    "partnerships-import-report": lambda ws: ["partnerships", "import", str(ws.parent / "bad.csv"), "-w", str(ws),
                                              "--report", str(ws / DB)],
    "workshop-import-report": lambda ws: ["workshop", "import", str(ws.parent / "bad.csv"), "-w", str(ws), "-p",
                                          "bonn-cape-coast", "--round", "2030", "--report", str(ws / DB)],
    "assess-spelled-otherwise": lambda ws: ["assess", "bonn-cape-coast", "-w", str(ws), "-o",
                                            str(ws / "own_indicators" / ".." / DB)],
    "assess-other-file-in-workspace": lambda ws: ["assess", "bonn-cape-coast", "-w", str(ws), "-o",
                                                  str(ws / "c2c.toml")],
    "publish-into-workspace": lambda ws: ["publish", "-w", str(ws), "-o", str(ws / "site"), "--no-pdf", "-q"],
    "workshop-template-into-workspace": lambda ws: ["workshop", "template", "bonn-cape-coast", "-w", str(ws),
                                                    "-o", str(ws)],
    "workshop-kit-into-workspace": lambda ws: ["workshop", "kit", "bonn-cape-coast", "-w", str(ws), "-o",
                                               str(ws / "kit")],
}


@pytest.mark.parametrize("name", sorted(STORE_TARGETS))
def test_an_output_at_the_workspace_store_replaced_the_store(demo_copy: Path, name: str) -> None:
    (demo_copy.parent / "bad.csv").write_text("not,a\nvalid,file\n")
    before = (demo_copy / DB).read_bytes()
    files_before = sorted(p.relative_to(demo_copy) for p in demo_copy.rglob("*"))
    # The template commands have no --workspace: they check the one C2C_WORKSPACE names.
    res = run_c2c(*STORE_TARGETS[name](demo_copy), env={"C2C_WORKSPACE": str(demo_copy)})
    _one_line_refusal(res)
    assert (demo_copy / DB).read_bytes() == before
    assert sorted(p.relative_to(demo_copy) for p in demo_copy.rglob("*")) == files_before


def test_a_hard_link_to_the_store_replaced_the_store(demo_copy: Path, tmp_path: Path) -> None:
    link = tmp_path / "elsewhere.csv"
    os.link(demo_copy / DB, link)
    before = (demo_copy / DB).read_bytes()
    _one_line_refusal(run_c2c("assess", "bonn-cape-coast", "-w", str(demo_copy), "-o", str(link)))
    assert (demo_copy / DB).read_bytes() == before


REPORT_AT_INPUT = {
    "ingest": lambda ws, f: ["ingest", str(f), "-w", str(ws), "--report", str(f)],
    "records-import": lambda ws, f: ["records", "import", "activities", str(f), "-w", str(ws), "--report", str(f)],
    "partnerships-import": lambda ws, f: ["partnerships", "import", str(f), "-w", str(ws), "--report", str(f)],
    "workshop-import": lambda ws, f: ["workshop", "import", str(f), "-w", str(ws), "-p", "bonn-cape-coast",
                                      "--round", "2030", "--report", str(f)],
}


@pytest.mark.parametrize("name", sorted(REPORT_AT_INPUT))
def test_a_report_at_the_input_overwrote_the_input(demo_copy: Path, tmp_path: Path, name: str) -> None:
    src = tmp_path / "input.csv"
    src.write_text("not,a\nvalid,file\n")
    _one_line_refusal(run_c2c(*REPORT_AT_INPUT[name](demo_copy, src)))
    assert src.read_text() == "not,a\nvalid,file\n"
    # The same file under another name (a hard link) is the same input.
    other = tmp_path / "report.csv"
    os.link(src, other)
    _one_line_refusal(run_c2c(*REPORT_AT_INPUT[name](demo_copy, src)[:-1], str(other)))
    assert src.read_text() == "not,a\nvalid,file\n"


def test_a_predictable_temporary_name_followed_a_planted_symlink(tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    planted = tmp_path / f".{out.name}.tmp-{os.getpid()}"  # the old, predictable name
    planted.symlink_to(victim)
    names = []
    for text in ("one\n", "two\n"):
        with replacing(out) as tmp:
            names.append(tmp.name)
            assert not tmp.is_symlink() and tmp.parent == tmp_path
            tmp.write_text(text)
    assert names[0] != names[1]  # not predictable: every run its own new name
    assert out.read_text() == "two\n"
    assert victim.read_text() == "precious\n" and planted.is_symlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([out.name, victim.name, planted.name])


def test_a_planted_symlink_at_the_site_temporary_names_was_written_into_and_emptied(
        demo_copy: Path, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from c2c_monitor.cli import cli

    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "keep.txt").write_text("precious\n")
    out = tmp_path / "site"
    # In-process, so the old names' PID is known: this process's, and one of a dead process.
    planted = [tmp_path / f".site.{kind}-{pid}" for kind in ("tmp", "old", "chromium") for pid in (os.getpid(), 999999)]
    for p in planted:
        p.symlink_to(victim, target_is_directory=True)
    for _ in range(2):  # the second run replaces the first and clears leftovers
        res = CliRunner().invoke(cli, ["publish", "lyon-porto-novo", "-w", str(demo_copy), "-o", str(out),
                                       "--no-pdf", "-q"], catch_exceptions=False)
        assert res.exit_code == 0, res.output
    assert [p.name for p in victim.iterdir()] == ["keep.txt"] and (victim / "keep.txt").read_text() == "precious\n"
    assert all(p.is_symlink() for p in planted)
    assert (out / "index.html").is_file()


def test_an_output_at_dev_null_became_a_regular_file(demo_copy: Path) -> None:
    res = run_c2c("assess", "bonn-cape-coast", "-w", str(demo_copy), "--format", "csv", "--output", "/dev/null")
    assert res.returncode == 0, res.stderr
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_an_output_at_a_fifo_was_renamed_over(demo_copy: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    res = run_c2c("assess", "bonn-cape-coast", "-w", str(demo_copy), "--format", "csv", "--output", str(fifo))
    reader.join(timeout=60)
    assert res.returncode == 0, res.stderr
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert got and b"," in got[0]  # the CSV went through the pipe


def test_a_dash_is_standard_output_everywhere(demo_copy: Path, tmp_path: Path) -> None:
    res = run_c2c("assess", "bonn-cape-coast", "-w", str(demo_copy), "--format", "json", "-o", "-", cwd=tmp_path)
    assert res.returncode == 0 and res.stdout.lstrip().startswith("{")
    res = run_c2c("ingest", "template", "-o", "-", cwd=tmp_path)
    assert res.returncode == 0 and res.stdout.count("\n") >= 2
    res = run_c2c("records", "template", "activities", "-o", "-", cwd=tmp_path)
    assert res.returncode == 0 and "," in res.stdout
    import subprocess
    import sys

    xls = subprocess.run([sys.executable, "-m", "c2c_monitor.cli", "workshop", "xlsform", "-o", "-"], cwd=tmp_path,
                         capture_output=True, timeout=120)
    assert xls.returncode == 0 and xls.stdout.startswith(b"PK"), xls.stderr
    assert not (tmp_path / "-").exists()  # no file called "-"


def test_publish_reset_the_folder_mode_and_deleted_the_users_files(demo_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    args = ["publish", "lyon-porto-novo", "-w", str(demo_copy), "-o", str(out), "--no-pdf", "-q"]
    assert run_c2c(*args).returncode == 0
    out.chmod(0o770)
    (out / "CNAME").write_text("c2c.example.org\n")
    (out / ".git").mkdir()
    (out / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (out / "partnerships" / "extra.html").write_text("mine\n")
    res = run_c2c(*args)
    assert res.returncode == 0, res.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o770
    assert (out / "CNAME").read_text() == "c2c.example.org\n"
    assert (out / ".git" / "HEAD").read_text() == "ref: refs/heads/main\n"
    assert (out / "partnerships" / "extra.html").read_text() == "mine\n"
    assert (out / "index.html").is_file()

    res = run_c2c(*args, "--clean")
    assert res.returncode == 0, res.stderr
    assert not (out / "CNAME").exists() and not (out / ".git").exists()
    assert not (out / "partnerships" / "extra.html").exists()
    assert "removed" in res.stderr and "CNAME" in res.stderr and ".git" in res.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o770
