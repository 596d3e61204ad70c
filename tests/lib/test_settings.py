"""Settings as a fresh production process sees them (subprocesses: settings load once)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "FAL_KEY", "FAL_MODE")}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


# The production environment the README documents (backend: the emulator on purpose, or fal).
PRODUCTION = {
    "DEBUG": "0",
    "HTTPS": "1",
    "SECRET_KEY": "x" * 20 + "production-secret-key-with-plenty-of-entropy-8d1f",
    "FIELD_ENCRYPTION_KEY": "q2WbM9D0x5pH3rW7kYcJ8vN1sT6uZ4eA0fG2hK9lL3o=",
}


def test_deploy_checks_are_clean_with_a_production_environment(tmp_path):
    for backend in ({"LOCALFAL_KEY": "emulator-key-of-this-install-6c2d"}, {"FAL_KEY": "id:s"}):
        result = run_manage(
            "check",
            "--deploy",
            "--fail-level",
            "WARNING",
            DATA_DIR=str(tmp_path),
            **PRODUCTION,
            **backend,
        )
        assert result.returncode == 0, result.stderr + result.stdout


def test_deploy_checks_warn_about_an_emulator_nobody_chose(tmp_path):
    result = run_manage("check", "--deploy", DATA_DIR=str(tmp_path), **PRODUCTION)
    assert "localfal.W001" in result.stderr + result.stdout


def test_debug_is_off_and_the_emulator_is_the_backend_by_default(tmp_path):
    code = (
        "from django.conf import settings as s;"
        "print(s.DEBUG, s.FAL_MODE, s.LOCALFAL_ENABLED, (s.DATA_DIR / 'secret_key').exists())"
    )
    result = run_manage("shell", "-v", "0", "-c", code, DATA_DIR=str(tmp_path))
    assert result.stdout.split() == ["False", "local", "True", "True"], result.stderr


def test_a_fal_key_switches_to_fal_and_unmounts_the_emulator(tmp_path):
    code = "from django.conf import settings as s; print(s.FAL_MODE, s.LOCALFAL_ENABLED)"
    result = run_manage("shell", "-v", "0", "-c", code, FAL_KEY="id:secret", DATA_DIR=str(tmp_path))
    assert result.stdout.split() == ["fal", "False"], result.stderr


def test_junk_settings_stop_the_process_with_a_clear_message(tmp_path):
    result = run_manage("check", DEBUG="ture", DATA_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "DEBUG must be a boolean" in result.stderr


HSTS = (
    "from django.conf import settings as s;"
    "print(s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_HSTS_PRELOAD)"
)


def test_https_alone_sends_hsts_without_preload_or_subdomains(tmp_path):
    result = run_manage("shell", "-v", "0", "-c", HSTS, HTTPS="1", DATA_DIR=str(tmp_path))
    assert result.stdout.split() == ["31536000", "False", "False"], result.stderr


def test_hsts_preload_and_subdomains_only_when_asked(tmp_path):
    result = run_manage(
        "shell",
        "-v",
        "0",
        "-c",
        HSTS,
        HTTPS="1",
        HSTS_PRELOAD="1",
        HSTS_INCLUDE_SUBDOMAINS="true",
        DATA_DIR=str(tmp_path),
    )
    assert result.stdout.split() == ["31536000", "True", "True"], result.stderr


def test_a_junk_hsts_preload_stops_the_process(tmp_path):
    result = run_manage("check", HSTS_PRELOAD="sure", DATA_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "HSTS_PRELOAD must be a boolean" in result.stderr


def test_a_generated_secret_is_private_from_the_moment_it_exists(tmp_path, monkeypatch):
    """Created with mode 600 in one step: a chmod after writing would leave a moment in
    which other users of the machine could read it."""
    from pathlib import Path

    from playground import settings as module

    def no_chmod_after_the_fact(self, mode):
        raise AssertionError(f"{self} was created with another mode, then changed")

    monkeypatch.setattr(module, "DATA_DIR", tmp_path)
    monkeypatch.setattr(Path, "chmod", no_chmod_after_the_fact)
    value = module._persistent_secret("fresh_secret")
    assert (tmp_path / "fresh_secret").stat().st_mode & 0o777 == 0o600
    assert module._persistent_secret("fresh_secret") == value  # read back, not remade
