"""The README stays true: its commands exist, and its set-up is two commands."""

import re
from pathlib import Path

from attunement.cli import app
from attunement.io.transcripts import FORMATS

README = (Path(__file__).parents[1] / "README.md").read_text()


def test_every_command_is_documented():
    import typer.main

    commands = typer.main.get_command(app).commands
    for name in commands:
        assert f"attunement {name}" in README, f"README does not show `attunement {name}`"


def test_two_setup_commands_and_ci_runs_the_test_one():
    block = README.split("## Set-up: two commands", 1)[1].split("```bash", 1)[1].split("```")[0]
    commands = [line for line in block.splitlines() if line.strip() and not line.startswith("#")]
    assert len(commands) == 2
    assert "attunement demo" in commands[0]
    assert commands[1].strip() == "bash .ci/run"
    ci = (Path(__file__).parents[1] / ".ci" / "run").read_text()
    assert "pytest" in ci


def test_every_format_is_in_the_table():
    table = README.split("### Transcripts read", 1)[1].split("###", 1)[0]
    described = {
        "annomi": "AnnoMI",
        "rev": "Rev",
        "json": "JSON",
        "vtt": "WebVTT",
        "srt": "SRT",
        "otter": "Otter",
        "zoom_captions": "Zoom saved captions",
        "csv": "CSV",
        "text": "plain text",
    }
    assert set(described) == set(FORMATS)
    for name, words in described.items():
        assert re.search(re.escape(words), table), name


def test_both_setup_commands_install_the_pinned_versions():
    import tomllib

    root = Path(__file__).parents[1]
    block = README.split("## Set-up: two commands", 1)[1].split("```bash", 1)[1].split("```")[0]
    commands = [line for line in block.splitlines() if line.strip() and not line.startswith("#")]
    assert "pip install -c constraints.txt ." in commands[0]
    ci = (root / ".ci" / "run").read_text()
    assert re.search(r"pip install .*-c constraints\.txt .*\.\[test\]", ci)
    locked = {}
    for line in (root / "constraints.txt").read_text().splitlines():
        m = re.match(r"([A-Za-z0-9_.-]+)==(\S+)", line)
        if m:
            locked[re.sub(r"[-_.]+", "-", m[1]).lower()] = m[2]
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    wanted = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        wanted += extra
    for requirement in wanted:
        name = re.sub(r"[-_.]+", "-", re.match(r"[A-Za-z0-9_.-]+", requirement)[0]).lower()
        assert name in locked, f"constraints.txt does not pin {name}: run scripts/lock.sh"


def test_the_web_benchmark_needs_no_extra():
    # `attunement benchmark web` drives the server with httpx: a base install must carry it
    import tomllib

    project = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())["project"]
    assert any(re.match(r"httpx\b", d) for d in project["dependencies"])
