"""The ``transcribe`` command, through a small app of its own (as the ``attunement`` app
registers it), and the absence of any network call while it runs."""

import json
import os
import re
import shutil
import subprocess
import sys

import pytest
import typer
from typer.testing import CliRunner

from attunement.cli.transcribe import benchmark_transcribe, transcribe
from attunement.errors import InputError
from attunement.io.transcripts import read_transcripts

APP = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
APP.command()(transcribe)
APP.command("benchmark-transcribe")(benchmark_transcribe)


def run(*args):
    return CliRunner().invoke(APP, ["transcribe", *map(str, args)])


def test_writes_the_transcript_and_its_words(tmp_path, dialogue_wav):
    out = tmp_path / "week6.vtt"
    result = run(dialogue_wav, "-o", out, "--names", "Therapist,Client")
    assert result.exit_code == 0, result.output
    assert f"transcript: {out}" in result.output
    assert "2 speakers given" in result.output
    (transcript,) = read_transcripts(out)
    assert {u.speaker for u in transcript.utterances} == {"Therapist", "Client"}
    words = json.loads((tmp_path / "week6.words.json").read_text())
    assert words["method"]["asr"]["model"].startswith("packaged Whisper tiny.en")


def test_default_output_is_beside_the_recording(tmp_path, dialogue_wav):
    audio = tmp_path / "session.wav"
    shutil.copy(dialogue_wav, audio)
    result = run(audio, "--speakers", "2")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "session.vtt").is_file() and (tmp_path / "session.words.json").is_file()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["notes.txt"], r"notes.txt: is not an audio or video file"),
        (["{wav}", "--asr-model", "nowhere"], r"nowhere: --asr-model: no such folder"),
        (["{wav}", "-o", "missing/x.vtt"], r"its folder missing does not exist"),
        (["{wav}", "-o", "{wav}"], r"--out: is also an input"),
    ],
)
def test_bad_input_is_an_input_error_and_nothing_is_written(
    tmp_path, dialogue_wav, args, message, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("Therapist: hi\n")
    before = sorted(os.listdir(tmp_path))
    result = run(*[a.format(wav=dialogue_wav) for a in args])
    assert isinstance(result.exception, InputError), result.output
    assert re.search(message, str(result.exception))
    assert sorted(os.listdir(tmp_path)) == before


def test_usage_errors_exit_2(dialogue_wav):
    assert run(dialogue_wav, "--speakers", "0").exit_code == 2
    assert run(dialogue_wav, "--channels", "left").exit_code == 2


_INET = re.compile(r"(connect|sendto|sendmsg)\(.*sa_family=AF_INET6?\b.*")
_LOOPBACK = re.compile(r'inet_addr\("127\.|inet_pton\(AF_INET6, "::1"|"::ffff:127\.')


def test_no_network_call_while_transcribing(tmp_path, dialogue_wav):
    strace = shutil.which("strace")
    if strace is None or subprocess.run([strace, "-qq", "-o", os.devnull, "true"]).returncode:
        pytest.skip("strace is not installed or may not trace here")
    log = tmp_path / "trace.txt"
    code = (
        "import sys, typer\n"
        "from attunement.cli.transcribe import transcribe\n"
        "app = typer.Typer(); app.command()(transcribe)\n"
        "app(sys.argv[1:])\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGINGFACE"))}
    done = subprocess.run(
        [
            strace,
            "-f",
            "-qq",
            "-e",
            "trace=network",
            "-o",
            str(log),
            sys.executable,
            "-c",
            code,
            str(dialogue_wav),
            "-o",
            str(tmp_path / "t.vtt"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "t.vtt").is_file()
    trace = log.read_text()
    outbound = [ln for ln in trace.splitlines() if _INET.search(ln) and not _LOOPBACK.search(ln)]
    assert outbound == []
