"""The deployment files work: the unit file passes systemd's own check, the compose file is
valid YAML with a health check on /healthz, and the Dockerfile copies what exists and runs
what the README says. Nothing is built or fetched from the network here."""

from __future__ import annotations

import configparser
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def _unit() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(DEPLOY / "helpline.service", encoding="utf-8")
    return parser


def test_the_unit_file_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed here")
    # The unit names /opt/helpline/venv/bin/helpline; verify checks that it is executable,
    # so the copy names this test environment's helpline instead.
    here = Path(sys.executable).parent / "helpline"
    text = (DEPLOY / "helpline.service").read_text(encoding="utf-8")
    assert "/opt/helpline/venv/bin/helpline" in text
    copy = tmp_path / "helpline.service"
    copy.write_text(text.replace("/opt/helpline/venv/bin/helpline", str(here)), encoding="utf-8")
    done = subprocess.run(
        [analyze, "verify", str(copy)], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr


def test_the_unit_runs_as_its_own_user_with_an_absolute_database_and_restarts() -> None:
    service = _unit()["Service"]
    assert service["User"] == "helpline" and service["Group"] == "helpline"
    assert Path(service["WorkingDirectory"]).is_absolute()
    assert service["EnvironmentFile"].startswith("/etc/")
    db = service["Environment"].removeprefix("HELPLINE_DB=")
    assert Path(db).is_absolute() and db.startswith(service["WorkingDirectory"])
    assert service["Restart"] == "always"
    assert service["ExecStart"].split()[1:3] == ["run", "--metrics-port"]
    for hardening in ("NoNewPrivileges", "PrivateTmp", "ProtectHome"):
        assert service[hardening] == "yes"
    assert service["ProtectSystem"] == "strict"
    assert service["ReadWritePaths"] == service["WorkingDirectory"]
    assert "HELPLINE_BOT_TOKEN" not in (DEPLOY / "helpline.service").read_text().split("#")[0]


def test_compose_is_valid_yaml_with_a_health_check_on_healthz() -> None:
    doc = YAML(typ="safe").load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    service = doc["services"]["helpline"]
    check = " ".join(service["healthcheck"]["test"])
    assert "/healthz" in check and "9102" in check
    assert service["environment"]["HELPLINE_DB"].startswith("/data/")
    assert any(volume.endswith(":/data") for volume in service["volumes"])
    assert service["env_file"] == "helpline.env" and service["restart"] == "unless-stopped"
    assert service["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}
    assert "helpline-data" in doc["volumes"]


def test_the_dockerfile_copies_what_exists_and_runs_the_bot_with_its_health_check() -> None:
    text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    for source in re.findall(r"^COPY (.+) \S+$", text, re.MULTILINE):
        for name in source.split():
            assert (ROOT / name).exists(), name
    copied = {name for line in re.findall(r"^COPY (.+) \S+$", text, re.M) for name in line.split()}
    packages = re.search(r"include = \[(.*?)\]", (ROOT / "pyproject.toml").read_text())
    assert packages is not None
    for package in re.findall(r'"(\w+)\*"', packages.group(1)):
        assert package in copied, f"{package} is installed by pip but not copied"
    assert re.search(r'^CMD \["helpline", "run", "--metrics-port", "9102"\]$', text, re.M)
    assert re.search(r"^HEALTHCHECK .*\n.*127\.0\.0\.1:9102/healthz", text, re.M)
    user = re.findall(r"^USER (\S+)$", text, re.M)
    assert user and user[-1] not in ("root", "0")
    assert "HELPLINE_DB=/data/helpline.db" in text and 'VOLUME ["/data"]' in text
