"""Refactors keep outputs: the demo's scoreboards, compare JSON and published site, byte for byte.

The expected files were captured from the code before the stage-per-folder restructuring (issue 14) with
`python -m tests.golden.capture tests/golden/expected`. A deliberate change of output re-captures them in
the same commit, so the diff shows what changed for users.
"""

from __future__ import annotations

from pathlib import Path

from .golden.capture import capture

EXPECTED = Path(__file__).parent / "golden" / "expected"


def test_outputs_are_byte_identical_to_the_golden_capture(tmp_path: Path) -> None:
    got_dir = tmp_path / "got"
    written = capture(got_dir, tmp_path / "work")
    got = {p.relative_to(got_dir).as_posix() for p in written}
    expected = {p.relative_to(EXPECTED).as_posix() for p in EXPECTED.rglob("*") if p.is_file()}
    assert got == expected, f"missing {sorted(expected - got)[:5]}, new {sorted(got - expected)[:5]}"
    differing = [name for name in sorted(got) if (got_dir / name).read_bytes() != (EXPECTED / name).read_bytes()]
    assert not differing, f"{len(differing)} output(s) changed, first: {differing[:5]}"
