from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def demo_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo workspace built once per test session (tests copy it before writing)."""
    from c2c_monitor.demo import fill_demo
    from c2c_monitor.workspace import init_workspace, open_workspace

    root = tmp_path_factory.mktemp("demo") / "ws"
    init_workspace(root, "demo")
    with open_workspace(root) as ws:
        fill_demo(ws.con)
    return root


@pytest.fixture
def demo_copy(demo_ws: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "ws"
    shutil.copytree(demo_ws, dst)
    return dst


def run_c2c(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    # A developer's own C2C_WORKSPACE must not leak into tests; a test passes one explicitly.
    full_env = {k: v for k, v in os.environ.items() if k != "C2C_WORKSPACE"} | (env or {})
    return subprocess.run([sys.executable, "-m", "c2c_monitor.cli", *args], cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=300)
