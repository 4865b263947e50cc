import warnings

import numpy as np
import pytest
from e4_fixture import write_e4_export

from attunement.errors import AttunementWarning, InputError
from attunement.io.manifest import read_manifest, read_wearables

T0 = 1_700_000_000.0
TRANSCRIPT = "Therapist: How are you?\nClient: Tired.\n"


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "t.txt").write_text(TRANSCRIPT)
    write_e4_export(tmp_path / "th.zip", start=T0 - 30, seconds=120, seed=1)
    write_e4_export(tmp_path / "cl", start=T0 - 10, seconds=120, seed=2, as_zip=False)
    (tmp_path / "cl.csv").write_text(
        "time,eda\n" + "".join(f"{i / 4},{1 + i / 100}\n" for i in range(40))
    )
    (tmp_path / "a.wav").write_bytes(b"RIFF")
    return tmp_path


def write(folder, text):
    path = folder / "session.toml"
    path.write_text(text)
    return path


FULL = """
id = "week-6"
start = "2023-11-14T22:13:20Z"
keep_names = true

[transcript]
path = "t.txt"
therapist = "Therapist"
client = ["Client"]

[[wearables]]
role = "therapist"
path = "th.zip"

[[wearables]]
role = "client"
path = "cl"
offset_s = -1.5

[audio]
path = "a.wav"
"""


def test_full_manifest(folder):
    m = read_manifest(write(folder, FULL))
    assert m.id == "week-6"
    assert m.start == T0
    assert m.keep_names
    assert m.transcript.path == folder / "t.txt"
    assert m.transcript.therapist == ("Therapist",)
    assert m.transcript.client == ("Client",)
    assert [w.role for w in m.wearables] == ["therapist", "client"]
    assert m.wearables[1].offset_s == -1.5
    assert m.audio == folder / "a.wav"


def test_wearables_land_on_the_session_clock(folder):
    m = read_manifest(write(folder, FULL))
    signals, events, origin = read_wearables(m)
    assert origin == T0
    eda = {s.role: s for s in signals if s.kind == "eda"}
    assert eda["therapist"].start == -30.0
    assert eda["client"].start == -11.5
    hr = next(s for s in signals if s.kind == "hr" and s.role == "therapist")
    assert hr.start == -20.0  # E4's HR starts 10 s after the other files
    ibi = next(s for s in signals if s.kind == "ibi" and s.role == "client")
    assert ibi.times[0] == ibi.start and -11.5 < ibi.start < 0
    assert {e["role"] for e in events} == {"therapist", "client"}
    assert all(-40 < e["time_s"] < 120 for e in events)
    assert all(s.meta["simulated"] is False for s in signals)


def test_without_start_the_first_device_is_zero_with_warning(folder):
    text = FULL.replace('start = "2023-11-14T22:13:20Z"\n', "")
    with pytest.warns(AttunementWarning, match="no 'start' time is given"):
        signals, _, origin = read_wearables(read_manifest(write(folder, text)))
    assert origin == T0 - 30
    assert min(s.start for s in signals) == 0.0


def test_relative_signal_csv_stays_on_session_clock(folder):
    text = """
[transcript]
path = "t.txt"
[[wearables]]
role = "client"
path = "cl.csv"
simulated = true
"""
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no clock warning
        warnings.filterwarnings("ignore", ".*only the client wears", AttunementWarning)
        signals, _, origin = read_wearables(read_manifest(write(folder, text)))
    (eda,) = signals
    assert origin is None
    assert eda.start == 0.0 and eda.sampling_rate == 4.0
    assert eda.meta["simulated"] is True
    np.testing.assert_allclose(eda.values[:2], [1.0, 1.01])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "is empty"),
        ("[transcript\npath='t.txt'", r"session.toml:1: is not valid TOML"),
        ("id = 3\n[transcript]\npath='t.txt'", "id: is int 3; expected a text"),
        ("id='x'", r"transcript: is missing; expected a .transcript. table with a path \(or"),
        ("[audio]\npath='a.wav'\nspeakers=0", r"audio.speakers: is 0; expected 1 to 8"),
        ("[audio]\npath='a.wav'\nspeakers='two'", r"audio.speakers: is str 'two'"),
        ("[audio]\npath='a.wav'\nchannels='left'", r"audio.channels: is 'left'"),
        ("[audio]\npath='a.wav'\nvoice=1", r"audio: unknown key 'voice'"),
        (
            "[transcript]\npath='t.txt'\n[audio]\npath='a.wav'\nspeakers=2",
            r"audio.speakers: describes a recording to transcribe, but the manifest has a",
        ),
        ("[transcript]\npath='missing.vtt'", r"transcript.path: 'missing.vtt' does not exist"),
        ("[transcript]\npath='t.txt'\nspeaker='x'", "unknown key 'speaker'"),
        ("colour='red'\n[transcript]\npath='t.txt'", "unknown key 'colour'"),
        ("start='yesterday'\n[transcript]\npath='t.txt'", "expected an ISO 8601 time"),
        ("start='2024-01-01T10:00:00'\n[transcript]\npath='t.txt'", "has no time zone"),
        ("[transcript]\npath='t.txt'\ntherapist=3", "expected a name or a list of names"),
        (
            "[transcript]\npath='t.txt'\n[[wearables]]\nrole='coach'\npath='th.zip'",
            r"wearables\[0\].role: is 'coach'; expected 'therapist' or 'client'",
        ),
        (
            "[transcript]\npath='t.txt'\n[[wearables]]\nrole='client'",
            r"wearables\[0\].path: is missing",
        ),
        (
            "[transcript]\npath='t.txt'\n[[wearables]]\nrole='client'\npath='th.zip'\noffset_s='x'",
            r"offset_s: is str 'x'; expected seconds",
        ),
        (
            "[transcript]\npath='t.txt'\n[[wearables]]\nrole='client'\npath='th.zip'\nformat='fit'",
            "expected 'e4' or 'csv'",
        ),
        ("keep_names = 1\n[transcript]\npath='t.txt'", "expected true or false"),
    ],
)
def test_bad_manifests(folder, text, message):
    with pytest.raises(InputError, match=message):
        read_manifest(write(folder, text))


def test_a_recording_alone_is_a_manifest_that_io_cannot_read_untranscribed(folder):
    from attunement.io.sessions import session_from_manifest

    m = read_manifest(
        write(
            folder,
            "[audio]\npath='a.wav'\nspeakers=2\nnames=['Dr Lee', 'Sam']\ntherapist='Dr Lee'\n",
        )
    )
    assert m.transcript is None and m.audio.name == "a.wav"
    assert m.recording.speakers == 2 and m.recording.names == ("Dr Lee", "Sam")
    assert m.recording.therapist == ("Dr Lee",) and m.recording.channels == "auto"
    with pytest.raises(InputError, match=r"transcript: has no \[transcript\]; expected one"):
        session_from_manifest(m)


def test_binary_and_wrong_encoding(folder):
    path = folder / "session.toml"
    path.write_bytes(b"\xff\xfe\x00\x01binary\x00")
    with pytest.raises(InputError, match=r"session\.toml"):
        read_manifest(path)


# --- wearables that cannot be paired, values that are not numbers ---------------------------


def test_two_sources_of_one_persons_signal_are_refused_naming_the_field(folder):
    # both bands marked as the therapist's: every synchrony would be null
    text = """
[transcript]
path = "t.txt"
[[wearables]]
role = "therapist"
path = "th.zip"
[[wearables]]
role = "therapist"
path = "cl"
"""
    with pytest.raises(
        InputError,
        match=r"session\.toml: wearables\[1\]\.role: is 'therapist', and wearables\[0\] "
        r"\(th\.zip\) already gives the therapist's EDA; expected one source of each signal",
    ):
        read_wearables(read_manifest(write(folder, text)))


def test_one_persons_signals_from_separate_files_are_fine(folder):
    (folder / "hr.csv").write_text("time,hr\n" + "".join(f"{i},{70 + i % 3}\n" for i in range(40)))
    text = """
[transcript]
path = "t.txt"
[[wearables]]
role = "client"
path = "cl.csv"
[[wearables]]
role = "client"
path = "hr.csv"
"""
    with pytest.warns(AttunementWarning, match="only the client wears a device"):
        signals, _, _ = read_wearables(read_manifest(write(folder, text)))
    assert sorted(s.kind for s in signals) == ["eda", "hr"]


@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
@pytest.mark.parametrize("key", ["offset_s", "sampling_rate", "start"])
def test_nan_and_inf_are_refused_naming_the_field(folder, key, value):
    text = '[transcript]\npath = "t.txt"\n[[wearables]]\nrole = "client"\npath = "cl.csv"\n'
    text += f"{key} = {value}\n"
    with pytest.raises(
        InputError,
        match=rf"session\.toml: wearables\[0\]\.{key}: is {value}; expected a finite number",
    ):
        read_manifest(write(folder, text))


def test_an_empty_folder_is_an_e4_export_without_files(folder):
    from attunement.io.manifest import read_wearable

    (folder / "empty").mkdir()
    with pytest.raises(
        InputError,
        match=r"empty: holds no Empatica E4 signal file \(found: nothing\); expected EDA\.csv, "
        r"HR\.csv, BVP\.csv",
    ):
        read_wearable(folder / "empty", role="client")


@pytest.mark.parametrize(
    ("members", "cut", "match"),
    [
        ({"../EDA.csv": "x"}, False, "holds a member with the unsafe path '../EDA.csv'"),
        (
            {"a/EDA.csv": "1", "b/EDA.csv": "1"},
            False,
            r"holds E4 files in several folders \(a, b\)",
        ),
        ({"EDA.csv": "1614680000\n4\n" + "0.5\n" * 2000}, True, "is not a readable zip file"),
    ],
    ids=["traversal", "two exports", "truncated"],
)
def test_a_broken_e4_zip_says_what_is_wrong(folder, members, cut, match):
    # not 'a binary file': the zip is read as an E4 export and its own problem is named
    import zipfile

    from attunement.io.manifest import read_wearable

    path = folder / "band.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in members.items():
            zf.writestr(name, text)
    if cut:
        path.write_bytes(path.read_bytes()[:60])
    with pytest.raises(InputError, match=match) as info:
        read_wearable(path, role="client")
    assert "binary" not in str(info.value)
    renamed = path.rename(folder / "band.dat")  # by its first bytes too, whatever its name
    with pytest.raises(InputError, match=match):
        read_wearable(renamed, role="client")
