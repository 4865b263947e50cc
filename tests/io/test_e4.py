"""Tests of the Empatica E4 export reader."""

from __future__ import annotations

import codecs
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest
from e4_fixture import HR_DELAY_S, make_e4_data, write_e4_export, write_e4_files, write_zip
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from attunement.errors import AttunementWarning, InputError
from attunement.io import e4
from attunement.io.e4 import E4Recording, is_e4, parse_e4_csv, read_e4

START = 1614680000.0
SECONDS = 120.0
FUZZ = settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture(scope="module")
def data():
    return make_e4_data(start=START, seconds=SECONDS, seed=7)


def export_with(tmp_path: Path, data, name="session.zip", **changes: str | bytes | None) -> Path:
    """The fixture export as a zip, with files replaced (text or bytes) or left out (None)."""
    files: dict[str, str | bytes] = dict(data.texts)
    for key, value in changes.items():
        file = key.replace("_", ".")
        if value is None:
            files.pop(file)
        else:
            files[file] = value
    return write_zip(tmp_path / name, files)


def by_kind(rec: E4Recording) -> dict:
    return {s.kind: s for s in rec.signals}


# --- known answers ------------------------------------------------------------------------------


@pytest.mark.parametrize("as_zip", [True, False], ids=["zip", "folder"])
@pytest.mark.parametrize("subfolder", [None, "1614680000_A01F3C"], ids=["top", "subfolder"])
def test_known_answers(tmp_path, data, as_zip, subfolder):
    path = write_e4_files(tmp_path / "e4.zip", data.texts, as_zip=as_zip, subfolder=subfolder)
    rec = read_e4(path, role="client")
    assert rec.source == "e4.zip"
    assert rec.tags == (START + 30.0, START + 90.0)
    s = by_kind(rec)
    assert list(s) == ["eda", "hr", "bvp", "temp", "acc", "ibi"]
    expected = {  # kind: (rate, start, shape)
        "eda": (4.0, START, (480,)),
        "hr": (1.0, START + HR_DELAY_S, (110,)),
        "bvp": (64.0, START, (7680,)),
        "temp": (4.0, START, (480,)),
        "acc": (32.0, START, (3840, 3)),
    }
    for kind, (rate, start, shape) in expected.items():
        assert s[kind].sampling_rate == rate
        assert s[kind].start == start
        assert s[kind].values.shape == shape
        assert s[kind].role == "client"
        assert s[kind].times is None
        np.testing.assert_array_equal(s[kind].values, getattr(data, kind))
    assert dict(s["eda"].meta) == {"device": "Empatica E4", "file": "EDA.csv"}
    assert dict(s["acc"].meta) == {"device": "Empatica E4", "file": "ACC.csv"}
    assert s["eda"].end == START + SECONDS
    ibi = s["ibi"]
    assert ibi.sampling_rate is None
    np.testing.assert_array_equal(ibi.times, START + data.ibi_offsets)
    np.testing.assert_array_equal(ibi.values, data.ibi_intervals)
    assert ibi.start == ibi.times[0]


def test_hand_written_export(tmp_path):
    """Values checked by hand against the files as written."""
    path = write_zip(
        tmp_path / "s.zip",
        {
            "EDA.csv": "1614680000.000000\n4.000000\n0.000000\n0.281906\n0.290866\n",
            "HR.csv": "1614680010.000000\n1.000000\n76.00\n75.50\n",
            "ACC.csv": "1614680000.000000, 1614680000.000000, 1614680000.000000\n"
            "32.000000, 32.000000, 32.000000\n-12,45,23\n-11,44,23\n",
            "IBI.csv": "1614680000.000000, IBI\n12.343750,0.812500\n13.140625,0.796875\n",
            "tags.csv": "1614680123.45\n",
        },
    )
    s = by_kind(read_e4(path, role="therapist"))
    assert s["eda"].values.tolist() == [0.0, 0.281906, 0.290866]
    assert s["eda"].time_axis().tolist() == [START, START + 0.25, START + 0.5]
    assert (s["hr"].start, s["hr"].values.tolist()) == (START + 10, [76.0, 75.5])
    assert s["acc"].values.tolist() == [[-12, 45, 23], [-11, 44, 23]]
    assert s["ibi"].times.tolist() == [1614680012.34375, 1614680013.140625]
    assert s["ibi"].values.tolist() == [0.8125, 0.796875]
    assert s["ibi"].start == 1614680012.34375


def test_windows_line_endings_and_utf16(tmp_path, data):
    eda = data.texts["EDA.csv"]
    path = export_with(
        tmp_path,
        data,
        EDA_csv=eda.replace("\n", "\r\n"),
        TEMP_csv=codecs.BOM_UTF16_LE + data.texts["TEMP.csv"].encode("utf-16-le"),
    )
    s = by_kind(read_e4(path, role="client"))
    np.testing.assert_array_equal(s["eda"].values, data.eda)
    np.testing.assert_array_equal(s["temp"].values, data.temp)


def test_missing_files_are_fine(tmp_path, data):
    path = write_zip(tmp_path / "s.zip", {"EDA.csv": data.texts["EDA.csv"]})
    rec = read_e4(path, role="client")
    assert [s.kind for s in rec.signals] == ["eda"]
    assert rec.tags == ()


def test_file_names_any_case_and_mac_junk_ignored(tmp_path, data):
    path = write_zip(
        tmp_path / "s.zip",
        {
            "export/eda.csv": data.texts["EDA.csv"],
            "__MACOSX/export/._EDA.csv": b"\x00\x05\x16\x07junk",
            ".DS_Store": b"\x00\x00\x00\x01Bud1",
        },
    )
    assert [s.kind for s in read_e4(path, role="client").signals] == ["eda"]


def test_windows_zip_member_names(tmp_path, data):
    path = write_zip(tmp_path / "s.zip", {"A01F3C\\EDA.csv": data.texts["EDA.csv"]})
    assert zipfile.ZipFile(path).namelist() == ["A01F3C\\EDA.csv"]
    (eda,) = read_e4(path, role="client").signals
    np.testing.assert_array_equal(eda.values, data.eda)


@pytest.mark.parametrize(
    "content",
    [b"", b"1614680000.000000\n4.000000\n", b"1614680000.000000, IBI\n"],
    ids=["zero-bytes", "header-only", "ibi-header-only"],
)
def test_empty_signal_file_skipped_with_warning(tmp_path, data, content):
    name = "IBI.csv" if b"IBI" in content else "EDA.csv"
    path = export_with(tmp_path, data, **{name.replace(".", "_"): content})
    with pytest.warns(AttunementWarning, match=rf"session\.zip:{name}: has no samples"):
        rec = read_e4(path, role="client")
    assert name.split(".")[0].lower() not in by_kind(rec)
    assert len(rec.signals) == 5


def test_empty_tags_file(tmp_path, data):
    assert read_e4(export_with(tmp_path, data, tags_csv=""), role="client").tags == ()


def test_every_signal_empty_is_an_error(tmp_path):
    path = write_zip(tmp_path / "s.zip", {"EDA.csv": "", "BVP.csv": "", "tags.csv": ""})
    with (
        pytest.warns(AttunementWarning),
        pytest.raises(InputError, match=r"s\.zip: has no samples in any signal file"),
    ):
        read_e4(path, role="client")


def test_one_hour_export(tmp_path):
    """A full hour: 230,400 BVP rows (read time is reported by the benchmark command)."""
    path = write_e4_export(tmp_path / "hour.zip", start=START, seconds=3600, seed=3)
    s = by_kind(read_e4(path, role="client"))
    assert len(s["bvp"]) == 230_400
    assert s["acc"].values.shape == (115_200, 3)
    assert len(s["eda"]) == 14_400


def test_parse_e4_csv_for_one_file():
    sig = parse_e4_csv("1614680000.000000\n4.000000\n0.5\n", kind="eda", role="client")
    assert (sig.start, sig.sampling_rate, sig.values.tolist()) == (START, 4.0, [0.5])
    assert parse_e4_csv("1614680000.000000\n4.000000\n", kind="eda", role="client") is None
    with pytest.raises(InputError, match="kind: is 'gsr'; expected one of eda"):
        parse_e4_csv("1614680000.000000\n4.000000\n0.5\n", kind="gsr", role="client")


# --- detection ----------------------------------------------------------------------------------


def test_is_e4(tmp_path, data):
    assert is_e4(write_e4_files(tmp_path / "a.zip", data.texts))
    assert is_e4(write_e4_files(tmp_path / "b", data.texts, as_zip=False))
    assert is_e4(write_e4_files(tmp_path / "c", data.texts, as_zip=False, subfolder="x"))
    assert is_e4(write_zip(tmp_path / "d.zip", {"A1/BVP.csv": data.texts["BVP.csv"]}))
    assert not is_e4(write_zip(tmp_path / "e.zip", {"notes.txt": "hello"}))
    assert not is_e4(write_zip(tmp_path / "f.zip", {"info.txt": "hello", "tags.csv": ""}))
    (tmp_path / "g.csv").write_text("time,eda\n0,1\n")
    assert not is_e4(tmp_path / "g.csv")
    (tmp_path / "h.zip").write_bytes(b"PK\x03\x04 cut")
    assert not is_e4(tmp_path / "h.zip")
    assert not is_e4(tmp_path / "missing.zip")
    (tmp_path / "empty").mkdir()
    assert not is_e4(tmp_path / "empty")


# --- bad input ----------------------------------------------------------------------------------


def _replace_line(text: str, line: int, new: str) -> str:
    lines = text.split("\n")
    lines[line - 1] = new
    return "\n".join(lines)


BAD_FILES = [
    # (file, how to change its text, expected message)
    ("EDA.csv", lambda t: _replace_line(t, 57, "abc"), r"EDA\.csv:57: found 'abc'; expected a"),
    ("EDA.csv", lambda t: _replace_line(t, 9, ""), r"EDA\.csv:9: is blank; expected a row"),
    ("EDA.csv", lambda t: _replace_line(t, 9, "1e400"), r"EDA\.csv:9: found '1e400'"),
    ("EDA.csv", lambda t: _replace_line(t, 9, "nan"), r"EDA\.csv:9: found 'nan'"),
    ("EDA.csv", lambda t: _replace_line(t, 9, "0.1,0.2"), r"EDA\.csv:9: has 2 cells; expected 1"),
    ("EDA.csv", lambda t: _replace_line(t, 2, "0.000000"), r"EDA\.csv:2: sampling rate is 0"),
    ("EDA.csv", lambda t: _replace_line(t, 2, "-4.0"), r"EDA\.csv:2: sampling rate is -4"),
    ("EDA.csv", lambda t: _replace_line(t, 2, "four"), r"EDA\.csv:2: sampling rate: found 'four'"),
    ("EDA.csv", lambda t: _replace_line(t, 1, "12.000000"), r"EDA\.csv:1: start time: 12\.0 "),
    ("EDA.csv", lambda t: _replace_line(t, 1, "5000000000"), r"not a plausible Unix time"),
    ("EDA.csv", lambda t: _replace_line(t, 1, "1614680000123"), r"\(2100-01-01\)|plausible"),
    ("EDA.csv", lambda t: t.split("\n")[0] + "\n", r"EDA\.csv:2: ends before its sampling rate"),
    ("EDA.csv", lambda t: "1614680000.0, 1614680000.0\n" + t, r"EDA\.csv:1: has 2 columns"),
    ("ACC.csv", lambda t: _replace_line(t, 5, "12,3"), r"ACC\.csv:5: has 2 cells; expected 3"),
    ("ACC.csv", lambda t: t[: t.index("\n", 300) - 3], r"ACC\.csv:\d+: has [12] cells?;"),
    (
        "ACC.csv",
        lambda t: _replace_line(t, 1, "1614680000.000000, 1614680001.000000, 1614680000.000000"),
        r"ACC\.csv:1: has different start times",
    ),
    ("IBI.csv", lambda t: _replace_line(t, 1, "1614680000.000000, HR"), r"'START_TIME, IBI'"),
    ("IBI.csv", lambda t: _replace_line(t, 3, "0.100000,0.800000"), r"IBI\.csv:3: offset: is 0\.1"),
    ("IBI.csv", lambda t: _replace_line(t, 2, "-1.0,0.8"), r"IBI\.csv:2: offset: is -1"),
    ("IBI.csv", lambda t: _replace_line(t, 2, "1.5,0"), r"IBI\.csv:2: interval: is 0; expected"),
    ("IBI.csv", lambda t: _replace_line(t, 2, "1.5"), r"IBI\.csv:2: has 1 cell; expected 2"),
    (
        "IBI.csv",
        lambda t: _replace_line(_replace_line(t, 6, "0.1,0.8"), 4, "4.0625,-0.8"),
        r"IBI\.csv:4: interval: is -0\.8",
    ),
    ("tags.csv", lambda t: "1614680030.00\nlater\n", r"tags\.csv:2: tag: found 'later'"),
    ("tags.csv", lambda t: "30.5\n", r"tags\.csv:1: tag: 30\.5 .*not a plausible Unix time"),
]


@pytest.mark.parametrize(("file", "change", "message"), BAD_FILES)
def test_bad_file(tmp_path, data, file, change, message):
    path = export_with(tmp_path, data, **{file.replace(".", "_"): change(data.texts[file])})
    with pytest.raises(InputError, match=message) as err:
        read_e4(path, role="client")
    assert str(err.value).startswith(f"{path}:{file}:")


def test_bad_file_in_folder_names_the_file(tmp_path, data):
    files = dict(data.texts, **{"EDA.csv": _replace_line(data.texts["EDA.csv"], 4, "x")})
    folder = write_e4_files(tmp_path / "export", files, as_zip=False)
    with pytest.raises(InputError, match=r"export/EDA\.csv:4: found 'x'"):
        read_e4(folder, role="client")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"1614680000.000000\n4.000000\n\x00\x01\x02\x00", r"EDA\.csv: is a binary file"),
        (b"1614680000.000000\n4.000000\n0.5\n0.\xe96\n", r"EDA\.csv:4: byte 0xe9 is not valid"),
        (b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4, r"EDA\.csv(:\d+)?: .*(binary|not valid)"),
    ],
    ids=["binary", "cp1252", "jpeg"],
)
def test_undecodable_file(tmp_path, data, content, message):
    with pytest.raises(InputError, match=message):
        read_e4(export_with(tmp_path, data, EDA_csv=content), role="client")


def test_not_a_zip(tmp_path):
    path = tmp_path / "e4.zip"
    path.write_text("EDA.csv\n1614680000\n")
    with pytest.raises(InputError, match=r"e4\.zip: is not a readable zip file"):
        read_e4(path, role="client")


def test_truncated_zip(tmp_path):
    whole = write_e4_export(tmp_path / "whole.zip", start=START, seconds=60, seed=1).read_bytes()
    for cut in (len(whole) // 2, len(whole) - 10, 30):
        path = tmp_path / "cut.zip"
        path.write_bytes(whole[:cut])
        with pytest.raises(InputError, match=r"cut\.zip: .*(zip|unpacked)"):
            read_e4(path, role="client")


def test_corrupt_member(tmp_path, data):
    path = write_zip(tmp_path / "s.zip", {"EDA.csv": data.texts["EDA.csv"]})
    raw = bytearray(path.read_bytes())
    header = len("PK\x03\x04") + 26 + len("EDA.csv")
    raw[header + 40] ^= 0xFF  # inside the compressed data
    path.write_bytes(bytes(raw))
    with pytest.raises(InputError, match=r"s\.zip(:EDA\.csv)?: (cannot be unpacked|is not a)"):
        read_e4(path, role="client")


def test_the_cap_is_what_a_full_e4_can_hold():
    # 60 hours at about 3.2 MB an hour fit; a gigabyte does not
    assert 60 * 3.2e6 < e4.MAX_EXPORT_BYTES < 400 * 2**20
    assert sum(e4.MAX_FILE_BYTES.values()) <= e4.MAX_EXPORT_BYTES
    # each file holds 60 hours at its rate, written as the E4 writes it
    for name, (rate, line) in {
        "EDA.csv": (4, "12.345678\n"),
        "HR.csv": (1, "180.00\n"),
        "BVP.csv": (64, "-1234.56\n"),
        "TEMP.csv": (4, "33.45\n"),
        "ACC.csv": (32, "-128,-128,-128\n"),
    }.items():
        full = rate * 60 * 3600 * len(line)
        assert full < e4.MAX_FILE_BYTES[name] < 3 * full, name


def test_zip_bomb_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(e4, "MAX_EXPORT_BYTES", 1_000_000)
    bomb = "1614680000.000000\n4.000000\n" + "0.000000\n" * 200_000  # 1.8 MB, deflates to ~2 kB
    path = write_zip(tmp_path / "bomb.zip", {"EDA.csv": bomb})
    assert path.stat().st_size < 20_000
    with pytest.raises(InputError, match=r"bomb\.zip: unpacks to 2 MiB; expected at most 1 MiB"):
        read_e4(path, role="client")


def test_nothing_e4_like(tmp_path):
    path = write_zip(tmp_path / "holiday.zip", {"photo.jpg": b"\xff\xd8", "notes.txt": "hi"})
    with pytest.raises(
        InputError,
        match=r"holiday\.zip: holds no Empatica E4 signal file \(found: photo\.jpg, notes\.txt\);"
        r" expected EDA\.csv, HR\.csv, BVP\.csv",
    ):
        read_e4(path, role="client")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match=r"found: nothing"):
        read_e4(tmp_path / "empty", role="client")
    with pytest.raises(InputError, match=r"holds no Empatica"):
        read_e4(write_zip(tmp_path / "deep.zip", {"a/b/EDA.csv": "1"}), role="client")


def test_two_exports_in_one_zip(tmp_path, data):
    files = {"a/EDA.csv": data.texts["EDA.csv"], "b/EDA.csv": data.texts["EDA.csv"]}
    with pytest.raises(InputError, match=r"several folders \(a, b\); expected one export"):
        read_e4(write_zip(tmp_path / "two.zip", files), role="client")
    files = {"EDA.csv": data.texts["EDA.csv"], "eda.csv": data.texts["EDA.csv"]}
    with pytest.raises(InputError, match=r"holds both EDA\.csv and eda\.csv"):
        read_e4(write_zip(tmp_path / "dup.zip", files), role="client")


def test_missing_path_and_bad_role(tmp_path, data):
    with pytest.raises(InputError, match=r"nope\.zip: no such file or folder"):
        read_e4(tmp_path / "nope.zip", role="client")
    with pytest.raises(InputError, match=r"role: is 'patient'; expected one of therapist"):
        read_e4(export_with(tmp_path, data), role="patient")


# --- hypothesis ---------------------------------------------------------------------------------


def _read_or_input_error(path: Path) -> E4Recording | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AttunementWarning)
        try:
            return read_e4(path, role="client")
        except InputError:
            return None


@FUZZ
@given(content=st.binary(max_size=400))
def test_fuzz_eda_bytes(tmp_path, content):
    path = write_zip(tmp_path / "f.zip", {"EDA.csv": content, "tags.csv": ""})
    rec = _read_or_input_error(path)
    assert rec is None or [s.kind for s in rec.signals] == ["eda"]


@FUZZ
@given(
    name=st.sampled_from(["EDA.csv", "ACC.csv", "IBI.csv", "tags.csv"]),
    content=st.text(alphabet="0123456789.,-+e \n\tIBInaf", max_size=200),
)
def test_fuzz_number_like_text(tmp_path, name, content):
    files = {name: content} if name != "tags.csv" else {name: content, "HR.csv": "1614680010\n1\n1"}
    _read_or_input_error(write_zip(tmp_path / "f.zip", files))


@FUZZ
@given(cut=st.integers(0, 10_000), flip=st.integers(0, 10_000), byte=st.integers(1, 255))
def test_fuzz_damaged_zip(tmp_path, data, cut, flip, byte):
    raw = bytearray(write_e4_files(tmp_path / "ok.zip", data.texts).read_bytes())
    raw[flip % len(raw)] ^= byte
    path = tmp_path / "damaged.zip"
    path.write_bytes(bytes(raw[: len(raw) - cut % len(raw)]))
    _read_or_input_error(path)


@FUZZ
@given(
    eda=st.lists(st.floats(0, 100, allow_nan=False), min_size=1, max_size=50),
    hr=st.lists(st.floats(30, 220, allow_nan=False), min_size=1, max_size=30),
    start=st.integers(946_684_800, 4_102_444_799 - 100),
    as_zip=st.booleans(),
)
def test_round_trip(tmp_path, eda, hr, start, as_zip):
    written = make_e4_data(
        start=float(start), seconds=20, seed=0, eda=np.array(eda), hr=np.array(hr)
    )
    dest = tmp_path / ("rt.zip" if as_zip else f"rt{start}")
    s = by_kind(read_e4(write_e4_files(dest, written.texts, as_zip=as_zip), role="therapist"))
    np.testing.assert_allclose(s["eda"].values, eda, rtol=0, atol=5e-7)
    np.testing.assert_array_equal(s["eda"].values, written.eda)
    np.testing.assert_allclose(s["hr"].values, hr, rtol=0, atol=5e-3)
    assert (s["eda"].start, s["hr"].start) == (start, start + HR_DELAY_S)
    assert s["eda"].role == s["hr"].role == "therapist"


# --- hostile and impossible exports ------------------------------------------------------------


def test_negative_skin_conductance_is_missing_with_a_warning(tmp_path, data):
    eda = "1614680000.000000\n4.000000\n0.31\n-0.20\n0.33\n-0.01\n"
    path = export_with(tmp_path, data, EDA_csv=eda)
    with pytest.warns(AttunementWarning, match=r"EDA\.csv:4: 2 values \(the first -0\.2\) are "):
        rec = read_e4(path, role="client")
    np.testing.assert_array_equal(by_kind(rec)["eda"].values, [0.31, np.nan, 0.33, np.nan])


def test_a_file_larger_than_a_full_e4_writes_is_refused_before_unpacking(tmp_path, data):
    # 12 MiB of EDA deflates to a few kB: more than 60 hours at 4 Hz
    bomb = "1614680000.000000\n4.000000\n" + "0.000000\n" * (12 * 2**20 // 9)
    path = write_zip(tmp_path / "bomb.zip", {"EDA.csv": bomb})
    assert path.stat().st_size < 100_000
    with pytest.raises(
        InputError, match=r"bomb\.zip:EDA\.csv: unpacks to 12 MiB; expected at most 10 MiB for "
    ):
        read_e4(path, role="client")


@pytest.mark.parametrize("member", ["../EDA.csv", "/abs/EDA.csv", "C:/EDA.csv"])
def test_unsafe_member_paths_are_named(tmp_path, data, member):
    path = write_zip(tmp_path / "evil.zip", {member: data.texts["EDA.csv"]})
    with pytest.raises(InputError, match=r"evil\.zip: holds a member with the unsafe path"):
        read_e4(path, role="client")


def test_a_60_hour_bvp_is_read_in_bounded_memory(tmp_path):
    # the fast reader of one-column files: a full E4's BVP (13.8 million rows) as an array
    rows = 64 * 3600 * 60
    body = ("12.34\n-5.67\n" * (rows // 2)).encode()
    path = tmp_path / "BVP.csv"
    path.write_bytes(b"1614680000.000000\n64.000000\n" + body)
    assert path.stat().st_size < e4.MAX_FILE_BYTES["BVP.csv"]
    rec = read_e4(tmp_path, role="client")
    (bvp,) = rec.signals
    assert len(bvp) == rows and bvp.values[:2].tolist() == [12.34, -5.67]
