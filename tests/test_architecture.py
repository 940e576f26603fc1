"""The layout is the architecture (docs/architecture.md), and these tests keep it so.

The import contracts live in ``pyproject.toml`` (``[tool.importlinter]``): the layers,
no cycles inside any package, no terminal libraries below the CLI, ``cryptography``
only in ``crypto/``, no database in the report.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_imports_keep_to_the_layers() -> None:
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    )
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from importlinter.cli import lint_imports;"
            " sys.exit(lint_imports(no_cache=True, no_logo=True))",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, (
        "an import crosses the layers of docs/architecture.md (contracts in pyproject.toml,"
        " [tool.importlinter]); move the code to the layer it belongs to, or pass what it"
        f" needs down as an argument:\n{proc.stdout}{proc.stderr}"
    )
