"""Every example under ``examples/`` runs as a script and shows what it claims."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _run(name: str) -> str:
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / name)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    return done.stdout


def test_every_example_is_covered() -> None:
    """Each script in examples/ has a test here, so none can rot unnoticed."""
    scripts = {p.name for p in EXAMPLES.glob("*.py")}
    assert scripts == {"probolinggo_2019.py", "hr_embedding.py", "custom_lifecycle.py"}


def test_probolinggo_demo_tells_the_whole_story() -> None:
    """The 2019 demo enrols 30, explains each refusal and ends with 28 graduates."""
    out = _run("probolinggo_2019.py")
    for code in ("office_quota", "retirement_horizon", "rank", "cohort_capacity"):
        assert f"[{code}]" in out
    assert "30 participants enrolled from 15 offices" in out
    assert "sent back for revision" in out
    assert "withdraws" in out
    assert "graduated     28" in out
    assert "not_passed     1" in out
    assert "withdrawn      1" in out


def test_hr_embedding_applies_the_custom_rule_and_notifies() -> None:
    """The custom health-certificate rule refuses Edi and the listener sees six moves."""
    out = _run("hr_embedding.py")
    assert "Edi refused: ['surat keterangan sehat belum ada']" in out
    assert "sangat memuaskan" in out
    assert out.count("HR notified:") == 6


@pytest.mark.parametrize("name", ["custom_lifecycle.py"])
def test_custom_lifecycle_from_toml(name: str) -> None:
    """The TOML supervisor course runs with its own rule pack to 'passed'."""
    out = _run(name)
    assert "Yoga refused: ('office_quota',)" in out
    assert "'passed': 1" in out
