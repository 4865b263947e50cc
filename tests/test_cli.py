import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

VTT = (
    "WEBVTT\n\n1\n00:00:01.000 --> 00:00:04.000\nDr Lee: What brings you here today, Sam?\n\n"
    "2\n00:00:04.500 --> 00:00:07.000\nSam: I have not been sleeping.\n\n"
    "3\n00:00:08.000 --> 00:00:10.000\nDr Lee: Sleep has been hard.\n"
)


def test_analyze_writes_three_files(tmp_path, run_cli):
    src = tmp_path / "s.vtt"
    src.write_text(VTT)
    code, out, err = run_cli("analyze", src, "--therapist", "Dr Lee", "--out", tmp_path / "o")
    assert code == 0, err
    assert sorted(p.name for p in (tmp_path / "o").iterdir()) == [
        "report.html",
        "results.json",
        "utterances.csv",
    ]
    results = json.loads((tmp_path / "o" / "results.json").read_text())
    assert results["session"]["speakers"] == {
        "Therapist": {"role": "therapist", "n_utterances": 2, "n_words": 10},
        "Client": {"role": "client", "n_utterances": 1, "n_words": 5},
    }
    assert results["metrics"]["median_client_response_latency_s"] == 0.5
    csv = (tmp_path / "o" / "utterances.csv").read_text().splitlines()
    assert csv[0].startswith("index,speaker,role,start_s,end_s,text,mi_behaviour,")
    assert csv[1].startswith(
        '0,Therapist,therapist,1.0,4.0,"What brings you here today, [Client]?"'
    )
    html = (tmp_path / "o" / "report.html").read_text()
    page = html.split("</script>", 1)[1]  # what follows the inlined plotly.js
    assert "Dr Lee" not in page and "Sam" not in page and "Lee" not in page
    assert "report.html" in out


def test_keep_names(tmp_path, run_cli):
    src = tmp_path / "s.vtt"
    src.write_text(VTT)
    code, _, _ = run_cli(
        "analyze", src, "--therapist", "Dr Lee", "--keep-names", "-o", tmp_path / "o"
    )
    assert code == 0
    assert "Dr Lee" in (tmp_path / "o" / "utterances.csv").read_text()


EVIL = '=HYPERLINK("http://evil.example/","open")'
#: A transcript whose therapist's name and utterances a spreadsheet would run as formulas.
FORMULA_CSV = (
    "speaker,start,end,text\n"
    '@Dr Lee,1,4,"=HYPERLINK(""http://evil.example/"",""open"")"\n'
    "Sam,4.5,7,-2+3 I have not been sleeping.\n"
    "@Dr Lee,8,10,Sleep has been hard.\n"
)


def test_analyze_utterances_csv_has_no_formula_cells(tmp_path, run_cli):
    import pandas as pd

    src = tmp_path / "s.csv"
    src.write_text(FORMULA_CSV)
    code, _, err = run_cli(
        "analyze", src, "--therapist", "@Dr Lee", "--keep-names", "-o", tmp_path / "o"
    )
    assert code == 0, err
    lines = (tmp_path / "o" / "utterances.csv").read_text().splitlines()
    assert lines[1].startswith("0,'@Dr Lee,therapist,1.0,4.0,\"'=HYPERLINK(")
    table = pd.read_csv(tmp_path / "o" / "utterances.csv")
    said = [EVIL, "-2+3 I have not been sleeping.", "Sleep has been hard."]
    assert table["text"].tolist() == ["'" + said[0], "'" + said[1], said[2]]
    assert [t.removeprefix("'") for t in table["text"]] == said
    assert table["speaker"].tolist() == ["'@Dr Lee", "Sam", "'@Dr Lee"]
    # numbers stay numbers
    assert table["start_s"].tolist() == [1.0, 4.5, 8.0] and table["index"].tolist() == [0, 1, 2]
    assert table["p_reflection"].dtype == float


def test_corpus_file_gives_one_folder_per_session(tmp_path, run_cli):
    header = (
        "transcript_id,mi_quality,video_title,video_url,topic,utterance_id,interlocutor,"
        "timestamp,utterance_text,main_therapist_behaviour,client_talk_type\n"
    )
    rows = "".join(
        f"{t},high,V,http://v/{t},x,{i},{'therapist' if i % 2 == 0 else 'client'},"
        f"00:00:0{i},Words here {i}.,n/a,n/a\n"
        for t in (3, 9)
        for i in range(4)
    )
    src = tmp_path / "corpus.csv"
    src.write_text(header + rows)
    code, _out, err = run_cli("analyze", src, "-o", tmp_path / "o")
    assert code == 0, err
    assert sorted(p.name for p in (tmp_path / "o").iterdir()) == ["corpus-3", "corpus-9"]
    assert (tmp_path / "o" / "corpus-9" / "results.json").exists()


def bad_inputs(tmp_path: Path):
    cases = {
        "empty.vtt": b"",
        "binary.txt": bytes(range(256)) * 4,
        "cp1252.txt": "Therapist: it\u2019s fine\nClient: ok\n".encode("cp1252"),
        "truncated.vtt": VTT.encode()[:70],
        "json_as.vtt": b'{"monologues": []}',
        "nospeaker.txt": b"just some words\nand more\n",
        "cut.json": b'{"monologues": [{"speaker": 0, "elements": [{"type": "text", "val',
        "noroles.txt": b"Anna: hi\nBen: hello\n",
        "bad.csv": b"speaker,text,start\nTherapist,hi,soon\n",
        "bad.zip": b"PK\x03\x04 this is not really a zip",
        "manifest.toml": b"[transcript]\npath = 'missing.vtt'\n",
    }
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
    return cases


@pytest.mark.parametrize(
    "name",
    [
        "empty.vtt",
        "binary.txt",
        "cp1252.txt",
        "truncated.vtt",
        "json_as.vtt",
        "nospeaker.txt",
        "cut.json",
        "noroles.txt",
        "bad.csv",
        "bad.zip",
        "manifest.toml",
        "missing.srt",
    ],
)
def test_bad_input_is_one_clear_line_exit_1_and_nothing_written(tmp_path, run_cli, name):
    bad_inputs(tmp_path)
    out_dir = tmp_path / "out"
    code, _out, err = run_cli("analyze", tmp_path / name, "-o", out_dir)
    assert code == 1
    assert err.startswith(f"attunement: error: {tmp_path / name}")
    assert "; expected" in err or "expected" in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert not out_dir.exists()


def test_one_bad_input_among_good_ones_writes_nothing(tmp_path, run_cli):
    good = tmp_path / "good.vtt"
    good.write_text(VTT)
    bad = tmp_path / "bad.vtt"
    bad.write_text("WEBVTT\n\n00:00:05.000 --> 00:00:01.000\nA: backwards\n")
    code, _, err = run_cli("analyze", good, bad, "--therapist", "Dr Lee", "-o", tmp_path / "o")
    assert code == 1 and "bad.vtt" in err
    assert not (tmp_path / "o").exists()


def test_usage_errors_exit_2(run_cli):
    code, _, _ = run_cli("analyze")
    assert code == 2
    code, _, _ = run_cli("frobnicate")
    assert code == 2


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["sync", "T", "C", "--kind", "foo"], ["'--kind'", "'foo'", "'eda'", "'hr'"]),
        (["sync", "T", "C", "--method", "foo"], ["'--method'", "'circular_shift'"]),
        (["batch", "T", "-o", "O", "--engine", "foo"], ["'--engine'", "'local'", "'dask'"]),
        (["batch", "T", "-o", "O", "--workers", "0"], ["'--workers'"]),
        (["analyze", "T", "-o", "O", "--format", "docx"], ["'--format'", "'vtt'", "'annomi'"]),
        (["validate", "T", "--format", "VTT"], ["'--format'", "'vtt'"]),
        (["code", "T", "--csv", "O", "--format", "foo"], ["'--format'"]),
        (["users", "add", "bob", "--role", "king"], ["'--role'", "'supervisor'", "'admin'"]),
        (["benchmark", "synchrony-validity", "--kind", "bvp"], ["'--kind'", "'both'"]),
        (["benchmark", "coding", "--folds", "0"], ["'--folds'", "2"]),
        (["benchmark", "coding", "--folds", "1"], ["'--folds'", "2"]),
        (["benchmark", "synchrony", "--seconds", "34"], ["'--seconds'", "35"]),
        (["benchmark", "synchrony", "--surrogates", "0"], ["'--surrogates'"]),
        (["benchmark", "synchrony", "--repeats", "0"], ["'--repeats'"]),
        (["benchmark", "batch", "--sessions", "0"], ["'--sessions'"]),
        (["benchmark", "web", "--users", "0"], ["'--users'"]),
        (["benchmark", "web", "--seconds", "0"], ["'--seconds'"]),
        (["benchmark", "web", "--utterances", "1"], ["'--utterances'"]),
        (["benchmark", "web", "--think", "-1"], ["'--think'"]),
        (["sync", "T", "C", "--surrogates", "0"], ["'--surrogates'", "greater than or equal to 1"]),
        (["sync", "T", "C", "--window", "0"], ["'--window'", "greater than 0"]),
        (["sync", "T", "C", "--window", "-30"], ["'--window'", "greater than 0"]),
        (["sync", "T", "C", "--lag", "-1"], ["'--lag'", "greater than or equal to 0"]),
        (["sync", "T", "C", "--step", "0"], ["'--step'", "greater than 0"]),
        (["sync", "T", "C", "--seed", "-1"], ["'--seed'", "greater than or equal to 0"]),
        (
            ["batch", "T", "-o", "O", "--pseudo-partners", "-1"],
            ["'--pseudo-partners'", "greater than or equal to 0"],
        ),
        (["benchmark", "synchrony-validity", "--lengths", "3,0"], ["--lengths", "positive"]),
        (["train", "--no-quality"], ["'--out'"]),
        (["code", "T", "--csv", "O", "-o", "O"], ["--out", "--csv only"]),
    ],
)
def test_bad_option_values_are_usage_errors(tmp_path, run_cli, args, words):
    """Click refuses them before any work, naming the option (and the choices): exit 2."""
    (tmp_path / "T").write_text("Therapist: hi\nClient: hello\n")
    paths = {"T": tmp_path / "T", "C": tmp_path / "T", "O": tmp_path / "O"}
    code, out, err = run_cli(*(paths.get(a, a) for a in args))
    assert code == 2, err
    assert all(word in err for word in words), err
    assert "Traceback" not in err and "attunement: error" not in err
    assert out == "" and not (tmp_path / "O").exists()


def test_the_choices_are_the_librarys():
    from attunement.cli import _options as cli
    from attunement.io.transcripts import FORMATS
    from attunement.store.models import ROLES
    from attunement.synchrony.surrogates import SURROGATE_METHODS

    assert [f.value for f in cli.FormatName] == list(FORMATS)
    assert [r.value for r in cli.RoleName] == list(ROLES)
    assert {m.value for m in cli.SurrogateMethod} == set(SURROGATE_METHODS)
    assert [k.value for k in cli.SignalKinds] == [k.value for k in cli.SignalKind] + ["both"]


def test_validate_prints_what_was_read(tmp_path, run_cli):
    src = tmp_path / "s.vtt"
    src.write_text(VTT)
    code, out, _ = run_cli("validate", src, "--therapist", "Dr Lee")
    assert code == 0
    assert "Therapist" in out and "therapist" in out and "3 utterances, timed" in out
    code, _, err = run_cli("validate", tmp_path / "nothing.vtt")
    assert code == 1 and "no such file" in err


def test_validate_demo_shows_signals_and_overlap(run_cli):
    from attunement.demo import demo_manifest

    code, out, _ = run_cli("validate", demo_manifest())
    assert code == 0
    assert "eda (simulated)" in out
    assert "4 Hz" in out and "64 Hz" in out and "irregular" in out
    assert "signals overlap from" in out


def test_warnings_are_one_line_on_stderr(tmp_path, run_cli):
    src = tmp_path / "s.txt"
    src.write_text("Dr Lee: hi\nSam: hello\nInterpreter: hola\n")
    code, _, err = run_cli("validate", src, "--therapist", "Dr Lee", "--client", "Sam")
    assert code == 0
    assert err.startswith("attunement: warning: ")


def test_version(run_cli):
    code, out, _ = run_cli("--version")
    assert code == 0 and out.startswith("attunement ")


def test_console_script_end_to_end(tmp_path):
    """The installed command, as a user runs it, with a bad file: no traceback, exit 1."""
    bad = tmp_path / "x.vtt"
    bad.write_bytes(b"\x00\x01\x02")
    exe = Path(sys.executable).with_name("attunement")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "attunement"]
    proc = subprocess.run(
        [*cmd, "analyze", str(bad)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert proc.returncode == 1
    assert proc.stderr.startswith("attunement: error: ")
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "attunement-results").exists()


def test_demo_writes_report(tmp_path, run_cli):
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        code, out, err = run_cli("demo", "--out", tmp_path / "demo")
    assert code == 0, err
    # a newcomer's first run prints no warning: what the demo's data are expected to show (the
    # simulated movement masked, so some windows are undefined) the report says instead
    assert "warning" not in err.lower()
    assert [str(w.message) for w in caught if "attunement" in w.filename] == []
    assert "SIMULATED" in out
    results = json.loads((tmp_path / "demo" / "results.json").read_text())
    assert results["session"]["id"] == "demo-annomi-68"
    assert results["session"]["n_utterances"] == 204
    assert results["session"]["simulated_signals"] is True
    assert results["metrics"]["therapist_talk_share"] == pytest.approx(0.5, abs=0.05)
    kinds = {(s["kind"], s["role"]) for s in results["session"]["signals"]}
    assert ("eda", "therapist") in kinds and ("eda", "client") in kinds
    html = (tmp_path / "demo" / "report.html").read_text()
    assert "SIMULATED" in html and "AnnoMI" in html
    assert "windowed cross-lagged correlations are undefined" in html
    assert "the simulated wristbands include bouts of movement" in html


def test_zip_bomb_like_member_is_refused(tmp_path, run_cli):
    path = tmp_path / "th.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("EDA.csv", "1700000000.0\n4.0\n" + "0.5\n" * 10)
    (tmp_path / "t.txt").write_text("Therapist: hi\nClient: hello\n")
    (tmp_path / "session.toml").write_text(
        "[transcript]\npath='t.txt'\n[[wearables]]\nrole='client'\npath='th.zip'\n"
    )
    code, _, err = run_cli("validate", tmp_path / "session.toml")
    assert code == 0, err


def test_sync_two_e4_exports(tmp_path, run_cli):
    import sys as _sys

    _sys.path.insert(0, str(Path(__file__).parent / "io"))
    import numpy as np
    from e4_fixture import write_e4_export

    rng = np.random.default_rng(0)
    drive = np.convolve(rng.standard_normal(2500), np.ones(12) / 12, mode="same")
    t = write_e4_export(
        tmp_path / "t.zip",
        start=1_700_000_000.0,
        seconds=600,
        seed=1,
        eda=2 + drive[8:2408] + 0.02 * rng.standard_normal(2400),
    )
    c = write_e4_export(
        tmp_path / "c.zip",
        start=1_700_000_000.0,
        seconds=600,
        seed=2,
        eda=3 + drive[:2400] + 0.02 * rng.standard_normal(2400),
    )
    code, out, err = run_cli("sync", t, c, "--surrogates", "99", "--csv", tmp_path / "w.csv")
    assert code == 0, err
    assert "p-value" in out and "0.0100" in out
    assert "leader" in out and "therapist" in out
    header = (tmp_path / "w.csv").read_text().splitlines()[0]
    assert header == "start_s,end_s,observed,surrogate_low,surrogate_median,surrogate_high"
    import pandas as pd

    band = pd.read_csv(tmp_path / "w.csv")  # written through csvsafe: numbers stay numbers
    assert all(band[c].dtype == float for c in band.columns)


def test_sync_bad_kind_and_file(tmp_path, run_cli):
    (tmp_path / "x.csv").write_text("time,eda\n0,1\n")
    code, _, err = run_cli("sync", tmp_path / "x.csv", tmp_path / "x.csv", "--kind", "bvp")
    assert code == 2 and "'--kind'" in err and "'eda', 'hr'" in err
    code, _, err = run_cli("sync", tmp_path / "nope.zip", tmp_path / "x.csv")
    assert code == 1 and "nope.zip" in err


def test_benchmark_synchrony_smoke(run_cli):
    code, out, _ = run_cli(
        "benchmark", "synchrony", "--seconds", "300", "--surrogates", "20", "--repeats", "1"
    )
    assert code == 0
    assert "attunement_wclc" in out and "numpy_loop" in out and "neurokit2" in out
    # written to a pipe, each row stays on one line (no notes wrapped into a narrow column)
    rows = [line for line in out.splitlines() if line.startswith("numpy_loop ")]
    assert len(rows) == 1 and len(rows[0].rstrip()) > 80


def test_sync_masks_movement_as_analyze_does(tmp_path, run_cli):
    import sys as _sys

    _sys.path.insert(0, str(Path(__file__).parent / "io"))
    import numpy as np
    from e4_fixture import make_e4_data, write_e4_files

    rng = np.random.default_rng(0)
    drive = np.convolve(rng.standard_normal(2500), np.ones(12) / 12, mode="same")
    therapist = make_e4_data(start=1_700_000_000.0, seconds=600, seed=1, eda=2 + drive[8:2408])
    client = make_e4_data(start=1_700_000_000.0, seconds=600, seed=2, eda=3 + drive[:2400])
    # the client moves hard (about 2.7 g) from minute 2 to minute 4 (32 Hz; two header lines)
    lines = client.texts["ACC.csv"].splitlines()
    for i in range(2 + 120 * 32, 2 + 240 * 32):
        lines[i] = "100,-100,100" if i % 2 else "-100,100,-100"
    texts = {**client.texts, "ACC.csv": "\n".join(lines) + "\n"}
    t = write_e4_files(tmp_path / "t.zip", therapist.texts)
    c = write_e4_files(tmp_path / "c.zip", texts)
    code, masked, err = run_cli("sync", t, c, "--surrogates", "19", "--csv", tmp_path / "m.csv")
    assert code == 0, err
    assert "movement masked" in masked and "client 20.0% of 1-s windows" in masked
    assert "therapist 0.0%" in masked
    code, kept, err = run_cli(
        "sync", t, c, "--surrogates", "19", "--no-mask-motion", "--csv", tmp_path / "k.csv"
    )
    assert code == 0, err
    assert "no (--no-mask-motion)" in kept
    import pandas as pd

    m, k = pd.read_csv(tmp_path / "m.csv"), pd.read_csv(tmp_path / "k.csv")
    moving = (m["start_s"] - m["start_s"].min() >= 125) & (m["end_s"] - m["start_s"].min() <= 235)
    assert m.loc[moving, "observed"].isna().all() and k.loc[moving, "observed"].notna().all()


def test_output_paths_are_checked_before_any_work(tmp_path, run_cli):
    (tmp_path / "x.csv").write_text("time,eda\n0,1\n")
    code, _, err = run_cli(
        "sync", tmp_path / "x.csv", tmp_path / "x.csv", "--csv", tmp_path / "no" / "w.csv"
    )
    assert code == 1 and "Traceback" not in err
    assert err.strip() == (
        f"attunement: error: {tmp_path / 'no' / 'w.csv'}: --csv: its folder {tmp_path / 'no'} "
        "does not exist; expected a file in an existing folder"
    )
    (tmp_path / "s.txt").write_text("Therapist: Hi.\nClient: Hello.\n")
    code, _, err = run_cli("code", tmp_path / "s.txt", "--csv", tmp_path)
    assert code == 1 and err.startswith(f"attunement: error: {tmp_path}: --csv: is a folder")


def test_validate_and_analyze_agree_on_a_one_sided_transcript(tmp_path, run_cli):
    path = tmp_path / "t.txt"
    path.write_text("Therapist: Welcome.\nTherapist: Take your time.\n")
    for command in (("validate", path), ("analyze", path, "-o", tmp_path / "o")):
        code, _, err = run_cli(*command)
        assert code == 1, command
        assert err.startswith(f"attunement: error: {path}: session 't' has no client utterance")
    assert not (tmp_path / "o").exists()


def test_sync_names_the_file_without_the_signal(tmp_path, run_cli):
    import sys as _sys

    _sys.path.insert(0, str(Path(__file__).parent / "io"))
    from e4_fixture import make_e4_data, write_e4_export, write_zip

    t = write_e4_export(tmp_path / "t.zip", start=1_700_000_000.0, seconds=120, seed=1)
    texts = make_e4_data(start=1_700_000_000.0, seconds=120, seed=2).texts
    c = write_zip(tmp_path / "c.zip", {k: v for k, v in texts.items() if k != "HR.csv"})
    code, _, err = run_cli("sync", t, c, "--kind", "hr")
    assert code == 1
    assert err.strip() == (
        f"attunement: error: {c}: holds no HR (found: acc, bvp, eda, ibi, temp); expected the "
        "client's HR for --kind hr"
    )
