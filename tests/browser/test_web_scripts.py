"""Every script of the demo pages parses: ``node --check`` on each module, no browser needed."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

WEB_DIR = Path(__file__).resolve().parents[2] / "src" / "cometchat_auth" / "web"
MODULES = sorted(WEB_DIR.glob("*.js"))


@pytest.fixture(scope="module")
def node() -> str:
    found = shutil.which("node")
    if found is None:
        reason = "node is missing: install Node.js to check the page's scripts"
        if os.environ.get("CI"):
            pytest.fail(f"SCRIPT CHECK CANNOT RUN: {reason}")
        pytest.skip(f"!!! SCRIPT CHECK NOT RUN: {reason} !!!")
    return found


def test_the_page_has_scripts() -> None:
    assert {"app.js", "api.js", "page.js", "forms.js"} <= {module.name for module in MODULES}


@pytest.mark.parametrize("module", MODULES, ids=[module.name for module in MODULES])
def test_the_module_parses(node: str, module: Path) -> None:
    # Parsed as the ES module the browser loads (top-level await, import/export).
    checked = subprocess.run(
        [node, "--input-type=module", "--check"],
        input=module.read_text(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr
