"""The documentation stays true: its commands exist, its links lead somewhere, and the README
is a short front door whose set-up is two commands.

The documentation is README.md plus docs/*.md, checked as one set where a fact may live on any
page (every command is shown somewhere, the transcript formats are in docs/formats.md); the
set-up block and the length are checked on the README itself.
"""

import re
from pathlib import Path

import pytest

from attunement.cli import app
from attunement.io.transcripts import FORMATS

ROOT = Path(__file__).parents[1]
README_PATH = ROOT / "README.md"
README = README_PATH.read_text()
DOC_PAGES = sorted((ROOT / "docs").glob("*.md"))
DOCUMENTATION = {path: path.read_text() for path in [README_PATH, *DOC_PAGES]}
ALL_TEXT = "\n".join(DOCUMENTATION.values())

MAX_README_LINES = 260

_FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.M | re.S)
_INLINE_CODE = re.compile(r"`[^`\n]*`")
_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t#]*$", re.M)


def _without_code(text: str) -> str:
    """The text without fenced code blocks and inline code, whose `#` and `[]()` are not markup."""
    return _INLINE_CODE.sub("", _FENCE.sub("", text))


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading).strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _anchors(text: str) -> set[str]:
    """Every heading anchor of a markdown page, with GitHub's -1, -2 suffixes for repeats."""
    seen: dict[str, int] = {}
    anchors = set()
    for _, heading in _HEADING.findall(_FENCE.sub("", text)):
        slug = _slug(heading)
        n = seen.get(slug, 0)
        anchors.add(slug if n == 0 else f"{slug}-{n}")
        seen[slug] = n + 1
    return anchors


def _section(text: str, heading: str) -> str:
    """The text under a heading (any level), up to the next heading of its level or a higher one."""
    prose = _FENCE.sub(lambda m: re.sub(r"[^\n]", " ", m[0]), text)  # same offsets
    found = [m for m in _HEADING.finditer(prose) if m[2] == heading]
    assert found, f"no heading {heading!r}"
    start, level = found[0].end(), len(found[0][1])
    end = len(text)
    for m in _HEADING.finditer(prose, start):
        if len(m[1]) <= level:
            end = m.start()
            break
    return text[start:end]


def _broken_links(pages: dict[Path, str]) -> tuple[list[str], int]:
    """Relative links of these pages that lead to no file or no heading, and how many were seen."""
    broken, checked = [], 0
    for page, text in pages.items():
        for target in _LINK.findall(_without_code(text)):
            if re.match(r"[a-z][a-z0-9+.-]*:", target, re.I) or target.startswith("//"):
                continue  # an address on the web, not a file here
            path, _, anchor = target.partition("#")
            file = (page.parent / path).resolve() if path else page
            checked += 1
            if not file.exists():
                broken.append(f"{page.name}: {target} (no file {path})")
            elif anchor and file.suffix == ".md" and anchor not in _anchors(file.read_text()):
                broken.append(f"{page.name}: {target} (no heading #{anchor} in {file.name})")
    return broken, checked


def _setup_commands() -> list[str]:
    block = README.split("## Set-up: two commands", 1)[1].split("```bash", 1)[1].split("```")[0]
    return [line for line in block.splitlines() if line.strip() and not line.startswith("#")]


def test_the_documentation_pages_exist():
    names = {path.name for path in DOC_PAGES}
    for name in [
        "formats.md",
        "coding.md",
        "synchrony.md",
        "batch.md",
        "web.md",
        "questionnaires.md",
        "accuracy.md",
        "benchmarks.md",
        "contributing.md",
    ]:
        assert name in names, f"docs/{name} is missing"


def test_every_command_is_documented():
    import typer.main

    commands = typer.main.get_command(app).commands
    assert commands
    for name, command in commands.items():
        assert f"attunement {name}" in ALL_TEXT, f"no page shows `attunement {name}`"
        for sub in getattr(command, "commands", {}):
            shown = f"attunement {name} {sub}"
            assert shown in ALL_TEXT, f"no page shows `{shown}`"


def test_two_setup_commands_and_ci_runs_the_test_one():
    commands = _setup_commands()
    assert len(commands) == 2
    assert "attunement demo" in commands[0]
    assert commands[1].strip() == "bash .ci/run"
    ci = (ROOT / ".ci" / "run").read_text()
    assert "pytest" in ci


def test_every_format_is_in_the_table():
    table = _section((ROOT / "docs" / "formats.md").read_text(), "Transcripts read")
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
    rows = [line for line in table.splitlines() if line.startswith("|")]
    assert len(rows) >= len(described) + 2, "the table under 'Transcripts read' is missing"
    for name, words in described.items():
        assert any(re.search(re.escape(words), row) for row in rows), name


def test_both_setup_commands_install_the_pinned_versions():
    import tomllib

    commands = _setup_commands()
    assert "pip install -c constraints.txt ." in commands[0]
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"pip install .*-c constraints\.txt .*\.\[test\]", ci)
    locked = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        m = re.match(r"([A-Za-z0-9_.-]+)==(\S+)", line)
        if m:
            locked[re.sub(r"[-_.]+", "-", m[1]).lower()] = m[2]
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        wanted += extra
    for requirement in wanted:
        name = re.sub(r"[-_.]+", "-", re.match(r"[A-Za-z0-9_.-]+", requirement)[0]).lower()
        assert name in locked, f"constraints.txt does not pin {name}: run scripts/lock.sh"


def test_the_web_benchmark_needs_no_extra():
    # `attunement benchmark web` drives the server with httpx: a base install must carry it
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert any(re.match(r"httpx\b", d) for d in project["dependencies"])


def test_the_readme_is_a_front_door():
    n = len(README.splitlines())
    assert n <= MAX_README_LINES, f"README.md has {n} lines; at most {MAX_README_LINES}"


def test_every_page_is_linked_from_the_readme():
    targets = {target.partition("#")[0] for target in _LINK.findall(_without_code(README))}
    for page in DOC_PAGES:
        assert f"docs/{page.name}" in targets, f"README.md does not link docs/{page.name}"


def test_every_relative_link_leads_to_a_file_and_heading():
    changelog = ROOT / "CHANGELOG.md"
    pages = {**DOCUMENTATION, changelog: changelog.read_text()}
    broken, checked = _broken_links(pages)
    assert checked > len(pages), "hardly any links found: is the link pattern broken?"
    assert not broken, "broken links:\n" + "\n".join(broken)


@pytest.mark.parametrize(
    ("text", "broken"),
    [
        ("[ok](other.md) and [ok](other.md#a-heading-here) and [web](https://example.org/x)", 0),
        ("![shot](img/missing.png)", 1),
        ("[gone](nowhere.md)", 1),
        ("[bad anchor](other.md#no-such-heading)", 1),
        ("[own heading](#the-page) and [not one](#nothing)", 1),
        ("`[code](nowhere.md)` and\n```\n[code](nowhere.md)\n```\n", 0),
    ],
)
def test_the_link_check_finds_broken_links(tmp_path, text, broken):
    (tmp_path / "other.md").write_text("# Other\n\n## A heading: `here`\n\n```\n# not one\n```\n")
    page = tmp_path / "page.md"
    page.write_text(f"# The page\n\n{text}\n")
    found, _ = _broken_links({page: page.read_text()})
    assert len(found) == broken, found


def test_anchors_follow_githubs_rules():
    text = "# Empathy (EPITOME)\n## Two signal files: `attunement sync`\n## Notes\n## Notes\n"
    assert _anchors(text) == {
        "empathy-epitome",
        "two-signal-files-attunement-sync",
        "notes",
        "notes-1",
    }


def test_section_stops_at_the_next_heading_of_its_level():
    text = "## A\none\n### B\ntwo\n```\n## not a heading\n```\n## C\nthree\n"
    assert "two" in _section(text, "A") and "three" not in _section(text, "A")
    with pytest.raises(AssertionError):
        _section(text, "D")
