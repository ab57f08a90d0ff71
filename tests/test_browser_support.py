"""Finding Chromium for the browser tests: the script and the fixtures agree, CI never skips."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from browser_support import find_chromium, require_chromium

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "ensure-chromium"


def _fake_chromium(tmp_path: Path) -> Path:
    fake = tmp_path / "my-chromium"
    fake.write_text("#!/bin/sh\necho 'Chromium 1.2.3 (fake)'\n")
    fake.chmod(0o755)
    return fake


def _script(**env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT)],  # executable, its #! line names bash
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_an_explicit_chromium_is_used_by_the_tests_and_the_script(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """CHANGEFLOW_CHROMIUM naming an executable wins over every other place."""
    fake = _fake_chromium(tmp_path)
    monkeypatch.setenv("CHANGEFLOW_CHROMIUM", str(fake))
    assert find_chromium() == fake
    assert require_chromium() == fake
    done = _script(CHANGEFLOW_CHROMIUM=str(fake))
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"ensure-chromium: found Chromium 1.2.3 (fake) at {fake}\n"


def test_a_wrong_explicit_chromium_is_reported_not_replaced(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A CHANGEFLOW_CHROMIUM that is no executable: the script fails, no other is installed."""
    missing = tmp_path / "no-such-chromium"
    monkeypatch.setenv("CHANGEFLOW_CHROMIUM", str(missing))
    assert find_chromium() is None
    done = _script(CHANGEFLOW_CHROMIUM=str(missing))
    assert done.returncode == 1
    assert f"CHANGEFLOW_CHROMIUM={missing} is not an executable file" in done.stderr


def test_a_missing_chromium_skips_locally(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Outside CI the browser tests skip, saying how to install Chromium."""
    monkeypatch.setenv("CHANGEFLOW_CHROMIUM", str(tmp_path / "absent"))
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="scripts/ensure-chromium"):
        require_chromium()


def test_a_missing_chromium_fails_under_ci(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Under CI=true a missing Chromium is a failure, so CI cannot pass without the browser."""
    monkeypatch.setenv("CHANGEFLOW_CHROMIUM", str(tmp_path / "absent"))
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        require_chromium()
