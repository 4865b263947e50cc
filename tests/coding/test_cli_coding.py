"""The coding commands: `attunement code`, `attunement train`, `attunement benchmark coding`."""

import pandas as pd

from attunement.coding import CODE_COLUMNS

VTT = (
    "WEBVTT\n\n1\n00:00:01.000 --> 00:00:04.000\nDr Lee: What brings you here today?\n\n"
    "2\n00:00:04.500 --> 00:00:07.000\nSam: I want to stop drinking.\n\n"
    "3\n00:00:08.000 --> 00:00:10.000\nDr Lee: You feel torn about drinking.\n"
)


def test_code_writes_the_coded_utterances(tmp_path, run_cli):
    src = tmp_path / "s.vtt"
    src.write_text(VTT)
    target = tmp_path / "codes.csv"
    code, out, err = run_cli("code", src, "--therapist", "Dr Lee", "--csv", target)
    assert code == 0, err
    assert f"utterance codes: {target}" in out
    table = pd.read_csv(target)
    assert list(table.columns) == ["index", "speaker", "role", "start_s", "end_s", "text",
                                   *CODE_COLUMNS]  # fmt: skip
    assert table["mi_behaviour"].tolist()[0] == "question"
    assert table["client_talk"].tolist()[1] == "change"
    assert pd.isna(table.loc[1, "mi_behaviour"]) and pd.isna(table.loc[0, "client_talk"])


def test_code_csv_has_no_formula_cells(tmp_path, run_cli):
    evil = '=HYPERLINK("http://evil.example/","open")'
    src = tmp_path / "s.csv"
    src.write_text(
        "speaker,start,end,text\n"
        '-Dr Lee,1,4,"=HYPERLINK(""http://evil.example/"",""open"")"\n'
        "Sam,4.5,7,@once I want to stop drinking.\n"
        "-Dr Lee,8,10,You feel torn about drinking.\n"
    )
    target = tmp_path / "codes.csv"
    code, _, err = run_cli("code", src, "--therapist", "-Dr Lee", "--keep-names", "--csv", target)
    assert code == 0, err
    assert target.read_text().splitlines()[1].startswith("0,'-Dr Lee,therapist,1.0,4.0,\"'=")
    table = pd.read_csv(target)
    assert table["text"].tolist()[:2] == ["'" + evil, "'@once I want to stop drinking."]
    assert table["text"].iloc[0].removeprefix("'") == evil
    assert table["speaker"].tolist() == ["'-Dr Lee", "Sam", "'-Dr Lee"]
    assert table["mi_behaviour"].iloc[2] in {"reflection", "question", "therapist_input", "other"}
    assert table["start_s"].tolist() == [1.0, 4.5, 8.0] and table["p_change"].dtype == float


def test_code_with_the_ngram_coder_and_a_coder_that_is_not_there(tmp_path, run_cli):
    src = tmp_path / "s.vtt"
    src.write_text(VTT)
    code, _, err = run_cli("code", src, "--therapist", "Dr Lee", "--coder", "ngram", "--csv",
                           tmp_path / "n.csv")  # fmt: skip
    assert code == 0, err
    assert pd.read_csv(tmp_path / "n.csv")["mi_behaviour"].tolist()[0] == "question"
    for command in ("code", "analyze"):
        code, _, err = run_cli(command, src, "--coder", tmp_path / "nowhere")
        assert code == 1
        assert "nowhere/annomi_coders.json: was not found" in err
        assert "Traceback" not in err


def test_analyze_records_the_coder(tmp_path, run_cli):
    import json

    src = tmp_path / "s.vtt"
    src.write_text(VTT)
    for kind in ("ngram", "transformer"):
        code, _, err = run_cli("analyze", src, "--therapist", "Dr Lee", "--coder", kind, "-o",
                               tmp_path / kind)  # fmt: skip
        assert code == 0, err
        found = json.loads((tmp_path / kind / "results.json").read_text())
        assert found["provenance"]["parameters"]["coder"] == kind
        method = next(m for m in found["provenance"]["methods"] if m["name"] == "utterance_coding")
        assert ("fine-tuned transformer" in method["description"]) == (kind == "transformer")


def test_code_several_sessions_and_default_name(tiny_annomi, tmp_path, run_cli, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli("code", tiny_annomi / "AnnoMI-simple.csv")
    assert code == 0, err
    table = pd.read_csv(tmp_path / "AnnoMI-simple-codes.csv")
    assert table.columns[0] == "session_id"
    assert table["session_id"].nunique() == 12


def test_code_bad_file(tmp_path, run_cli):
    src = tmp_path / "s.vtt"
    src.write_bytes(b"\x00\x01\x02binary")
    code, _, err = run_cli("code", src)
    assert code == 1
    assert err.startswith("attunement: error: ")


def test_train_into_a_folder(tiny_annomi, tmp_path, run_cli):
    code, out, err = run_cli(
        "train", "--annomi", tiny_annomi, "--out", tmp_path / "m", "--no-evaluate"
    )
    assert code == 0, err
    assert (tmp_path / "m" / "annomi_coders.npz").is_file()
    assert "annomi_coders.json" in out
    assert (tmp_path / "m" / "mi_quality.json").is_file()
    assert "MI-quality model: " in out


def test_train_without_the_quality_model(tiny_annomi, tmp_path, run_cli):
    code, _, err = run_cli(
        "train", "--annomi", tiny_annomi, "--out", tmp_path / "m", "--no-evaluate", "--no-quality"
    )
    assert code == 0, err
    assert not (tmp_path / "m" / "mi_quality.json").exists()


def test_train_missing_data(tmp_path, run_cli):
    code, _, err = run_cli("train", "--annomi", tmp_path, "--out", tmp_path / "m")
    assert code == 1
    assert "AnnoMI-simple.csv: was not found" in err


def test_benchmark_coding_smoke(tiny_annomi, tmp_path, run_cli):
    code, out, err = run_cli("benchmark", "coding", "--annomi", tiny_annomi, "--folds", "2")
    assert code == 0, err
    for name in ("macro_f1 therapist_behaviour (ngram)", "macro_f1 client_talk (transformer)",
                 "utterances_per_s (transformer)", "utterances_per_s (ngram)",
                 "peak_rss_mib"):  # fmt: skip
        assert name in out
    assert "session MI-quality model" in out and "majority_baseline" in out


def test_code_out_file_is_deprecated_for_csv(tmp_path, run_cli):
    src = tmp_path / "s.vtt"
    src.write_text(VTT)
    code, out, err = run_cli("code", src, "--therapist", "Dr Lee", "-o", tmp_path / "old.csv")
    assert code == 0, err
    assert err.startswith("attunement: warning: code -o/--out FILE is deprecated")
    assert "--csv FILE" in err and f"utterance codes: {tmp_path / 'old.csv'}" in out
    assert pd.read_csv(tmp_path / "old.csv")["mi_behaviour"].tolist()[0] == "question"
    code, _, err = run_cli("code", src, "--out", tmp_path)
    assert code == 1 and f"attunement: error: {tmp_path}: --out: is a folder" in err


def test_train_needs_an_out_folder(tiny_annomi, run_cli):
    code, _, err = run_cli("train", "--annomi", tiny_annomi, "--no-evaluate")
    assert code == 2 and "Missing option '--out'" in err


def test_train_checks_the_base_model_before_training_anything(tiny_annomi, tmp_path, run_cli):
    code, _, err = run_cli(
        "train", "--annomi", tiny_annomi, "--out", tmp_path / "m", "--no-evaluate",
        "--transformer", "--base", tmp_path / "nowhere",
    )  # fmt: skip
    assert code == 1
    assert f"{tmp_path / 'nowhere'}: is not a folder" in err and "Traceback" not in err
    assert not (tmp_path / "m").exists()  # the n-gram coders were not trained first


def test_train_base_without_transformer_is_a_usage_error(tiny_annomi, tmp_path, run_cli):
    code, _, err = run_cli("train", "--annomi", tiny_annomi, "--out", tmp_path / "m", "--base", "x")
    assert code == 2 and "--base" in err and "expected --transformer" in err
    assert not (tmp_path / "m").exists()


def test_the_environment_names_the_coder_at_the_command_line(tmp_path, run_cli, monkeypatch):
    import json

    src = tmp_path / "s.vtt"
    src.write_text(VTT)
    monkeypatch.setenv("ATTUNEMENT_CODER", "ngram")
    code, _, err = run_cli("analyze", src, "--therapist", "Dr Lee", "-o", tmp_path / "env")
    assert code == 0, err
    found = json.loads((tmp_path / "env" / "results.json").read_text())
    assert found["provenance"]["parameters"]["coder"] == "ngram"
    code, _, err = run_cli("analyze", src, "--therapist", "Dr Lee", "--coder", "transformer",
                           "-o", tmp_path / "flag")  # fmt: skip
    found = json.loads((tmp_path / "flag" / "results.json").read_text())
    assert code == 0 and found["provenance"]["parameters"]["coder"] == "transformer"
