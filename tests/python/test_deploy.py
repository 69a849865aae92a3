"""The deployment template passes cfn-lint (offline: the resource specs ship with it)."""

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_template_passes_cfn_lint():
    assert shutil.which("cfn-lint"), "cfn-lint is in tests/requirements.txt"
    r = subprocess.run(["cfn-lint", str(ROOT / "deploy/template.yaml")], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
