"""Tests of the generic signal CSV reader."""

from __future__ import annotations

import codecs
import datetime as dt
import warnings
from pathlib import Path

import numpy as np
import pytest
from e4_fixture import make_e4_data
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from attunement.errors import AttunementWarning, InputError
from attunement.io.e4 import parse_e4_csv
from attunement.io.signal_csv import read_signal_csv

FUZZ = settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
START = 1614680000.0


def write(tmp_path: Path, content: str | bytes, name: str = "signal.csv") -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", newline="")
    return path


def read(tmp_path: Path, content: str | bytes, **kwargs):
    kwargs.setdefault("role", "client")
    return read_signal_csv(write(tmp_path, content), **kwargs)


# --- layout (a): a time column ------------------------------------------------------------------


def test_regular_relative_times(tmp_path):
    (s,) = read(tmp_path, "time,eda\n0.00,0.31\n0.25,0.32\n0.50,0.33\n")
    assert (s.kind, s.role, s.sampling_rate, s.start) == ("eda", "client", 4.0, 0.0)
    assert s.times is None
    assert s.values.tolist() == [0.31, 0.32, 0.33]
    assert dict(s.meta) == {"file": "signal.csv", "column": "eda"}


def test_several_value_columns_any_case_quoted_header(tmp_path):
    eda, hr = read(tmp_path, '"Time","EDA","hr"\r\n10,0.3,70\r\n11,0.4,71\r\n12,0.5,72\r\n')
    assert (eda.kind, hr.kind) == ("eda", "hr")
    assert eda.sampling_rate == hr.sampling_rate == 1.0
    assert eda.start == hr.start == 10.0
    assert hr.values.tolist() == [70.0, 71.0, 72.0]
    assert dict(eda.meta)["column"] == "EDA"


@pytest.mark.parametrize("name", ["time", "t", "timestamp", "seconds", "time_s", "TIME_S"])
def test_time_column_names(tmp_path, name):
    (s,) = read(tmp_path, f"{name},f0\n0.00,120\n0.01,121\n0.02,\n")
    assert (s.kind, s.sampling_rate) == ("f0", 100.0)
    assert np.isnan(s.values[2])


def test_tab_separated_with_praat_undefined(tmp_path):
    f0, db = read(tmp_path, "time\tf0\tintensity\n0.00\t100\t60\n0.01\t--undefined--\t61\n")
    assert f0.values[0] == 100.0 and np.isnan(f0.values[1])
    assert db.values.tolist() == [60.0, 61.0]


@pytest.mark.parametrize("cell", ["", "nan", "NaN", "NA", "n/a", "null", " --undefined-- "])
def test_missing_values(tmp_path, cell):
    (s,) = read(tmp_path, f"time,temp\n0,31.2\n1,{cell}\n2,31.3\n")
    assert np.isnan(s.values[1]) and s.values[2] == 31.3


def test_unix_seconds(tmp_path):
    rows = "".join(f"{START + i / 64:.6f},{i}\n" for i in range(128))
    (s,) = read(tmp_path, "timestamp,bvp\n" + rows)
    assert (s.sampling_rate, s.start, len(s)) == (64.0, START, 128)


def test_unix_seconds_rounded_to_milliseconds(tmp_path):
    rows = "".join(f"{START + i / 64:.3f},1\n" for i in range(640))
    (s,) = read(tmp_path, "timestamp,bvp\n" + rows)
    assert s.sampling_rate == 64.0
    assert s.start == START


@pytest.mark.parametrize(
    ("stamps", "start"),
    [
        (["2021-03-02T10:00:00Z", "2021-03-02T10:00:00.250Z", "2021-03-02T10:00:00.5Z"], 0.0),
        (["2021-03-02T11:00:00+01:00", "2021-03-02T11:00:00.250+01:00"], 0.0),
        (["2021-03-02 05:00:00.000-0500", "2021-03-02 05:00:00.250-0500"], 0.0),
    ],
)
def test_iso_timestamps(tmp_path, stamps, start):
    rows = "".join(f"{t},{i}\n" for i, t in enumerate(stamps))
    (s,) = read(tmp_path, "time,eda\n" + rows)
    expected = dt.datetime(2021, 3, 2, 10, tzinfo=dt.UTC).timestamp()
    assert (s.start, s.sampling_rate) == (expected + start, 4.0)


def test_naive_iso_timestamps_are_utc_with_warning(tmp_path):
    content = "time,eda\n2021-03-02T10:00:00,1\n2021-03-02T10:00:01,2\n"
    with pytest.warns(AttunementWarning, match=r"signal\.csv: timestamps .* no timezone.* UTC"):
        (s,) = read(tmp_path, content)
    assert s.start == dt.datetime(2021, 3, 2, 10, tzinfo=dt.UTC).timestamp()


def test_irregular_times(tmp_path):
    (s,) = read(tmp_path, "t,hr\n0,70\n1,71\n3,72\n3.5,73\n")
    assert s.sampling_rate is None
    assert s.times.tolist() == [0.0, 1.0, 3.0, 3.5]
    assert s.start == 0.0 and s.end == 3.5


def test_ibi_is_always_irregular(tmp_path):
    (s,) = read(tmp_path, "time,ibi\n1.0,0.8\n1.8,0.8\n2.6,0.8\n")
    assert s.sampling_rate is None
    assert s.times.tolist() == [1.0, 1.8, 2.6]


@pytest.mark.parametrize(("jitter", "regular"), [(0.0, True), (0.008, True), (0.04, False)])
def test_jitter_decides_regular(tmp_path, jitter, regular):
    rng = np.random.default_rng(0)
    t = np.arange(400) * 0.25 + rng.uniform(-jitter, jitter, 400) * 0.25
    t[0], t[-1] = 0.0, 399 * 0.25
    rows = "".join(f"{x:.6f},1\n" for x in t)
    (s,) = read(tmp_path, "time,eda\n" + rows)
    assert (s.sampling_rate == 4.0) if regular else (s.sampling_rate is None)


def test_kind_names_a_single_column(tmp_path):
    (s,) = read(tmp_path, "time,gsr_uS\n0,1\n0.25,2\n", kind="eda")
    assert s.kind == "eda" and dict(s.meta)["column"] == "gsr_uS"


def test_kind_picks_one_of_several_columns(tmp_path):
    (s,) = read(tmp_path, "time,eda,hr\n0,1,70\n1,2,71\n", kind="hr")
    assert s.kind == "hr" and s.values.tolist() == [70.0, 71.0]


# --- layout (b): no time column -----------------------------------------------------------------


def test_header_without_time_column(tmp_path):
    (s,) = read(tmp_path, "eda\n0.1\n0.2\n", sampling_rate=4.0, start=12.5)
    assert (s.sampling_rate, s.start, s.values.tolist()) == (4.0, 12.5, [0.1, 0.2])


def test_no_header(tmp_path):
    (s,) = read(tmp_path, "0.1\n0.2\n\n", kind="temp", sampling_rate=4, start=0)
    assert (s.kind, s.sampling_rate, s.values.tolist()) == ("temp", 4.0, [0.1, 0.2])


def test_no_header_acc(tmp_path):
    (s,) = read(tmp_path, "-12,45,23\n-11,44,23\n", kind="acc", sampling_rate=32, start=0)
    assert s.values.tolist() == [[-12, 45, 23], [-11, 44, 23]]


# --- layout (c): E4-style start and rate rows ---------------------------------------------------


@pytest.fixture(scope="module")
def e4_data():
    return make_e4_data(start=START, seconds=60, seed=5)


@pytest.mark.parametrize("file", ["EDA.csv", "HR.csv", "ACC.csv", "IBI.csv"])
def test_e4_layout_is_read_by_the_e4_parser(tmp_path, e4_data, file):
    kind = file.split(".")[0].lower()
    (s,) = read(tmp_path, e4_data.texts[file], kind=None if kind == "ibi" else kind)
    expected = parse_e4_csv(e4_data.texts[file], kind=kind, role="client")
    assert (s.kind, s.sampling_rate, s.start) == (kind, expected.sampling_rate, expected.start)
    np.testing.assert_array_equal(s.values, expected.values)
    assert dict(s.meta) == {"file": "signal.csv", "layout": "e4"}


def test_e4_layout_errors_come_from_the_e4_parser(tmp_path):
    with pytest.raises(InputError, match=r"signal\.csv:2: sampling rate is 0"):
        read(tmp_path, "1614680000.000000\n0.000000\n1\n", kind="eda")
    with pytest.raises(InputError, match=r"signal\.csv:3: has a start time .* but no samples"):
        read(tmp_path, "1614680000.000000\n4.000000\n", kind="eda")


# --- encodings ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "encode",
    [
        lambda t: codecs.BOM_UTF16_LE + t.encode("utf-16-le"),
        lambda t: codecs.BOM_UTF8 + t.encode(),
        lambda t: t.replace("\n", "\r\n").encode(),
    ],
    ids=["utf-16-bom", "utf-8-bom", "crlf"],
)
def test_accepted_encodings(tmp_path, encode):
    (s,) = read(tmp_path, encode("time,eda\n0,0.5\n0.25,0.6\n"))
    assert (s.sampling_rate, s.values.tolist()) == (4.0, [0.5, 0.6])


# --- bad input ----------------------------------------------------------------------------------

BAD = [
    # (content, keyword arguments, expected message)
    ("", {}, r"signal\.csv: is empty; expected comma-separated text"),
    ("  \n\n", {}, r"signal\.csv: is empty"),
    ("\x1c\n", {}, r"signal\.csv: holds no values"),
    (b"time,eda\n\x00\x01\x02\x03\xff", {}, r"signal\.csv: is a binary file"),
    (b"time,eda\n0,0.5\n1,\x93x\x94\n", {}, r"signal\.csv:3: byte 0x93 is not valid UTF-8"),
    ("time,eda\n", {}, r"signal\.csv:2: has a header but no rows"),
    ("time,eda\n0,1\n1,x\n", {}, r"signal\.csv:3: eda: found 'x'; expected a finite number"),
    ("time,eda\n0,1\n1,1e400\n", {}, r":3: eda: found '1e400'"),
    ("time,eda\n0,1\n1,inf\n", {}, r":3: eda: found 'inf'"),
    ("time,eda\n0,1\nsoon,2\n", {}, r":3: time: found 'soon'; expected a finite number"),
    ("time,eda\n0,1\n,2\n", {}, r":3: time: found an empty cell; expected a finite number"),
    ("time,eda\n0,1\n1,2\n1,3\n", {}, r":4: time: repeats the time '1' of line 3"),
    ("time,eda\n0,1\n2,2\n1,3\n", {}, r":4: time: goes back in time from '2' of line 3"),
    ("time,eda\n0,1\n1,2,3\n", {}, r":3: has 3 cells; expected 2"),
    ("time,eda\n0,1\n0.2", {}, r":3: has 1 cell; expected 2"),
    ("time,eda\n0,1\n\n1,2\n", {}, r":3: is blank"),
    ("time,gsr\n0,1\n", {}, r":1: gsr: unknown column 'gsr'; expected a time column named time"),
    ("time,eda,eda\n0,1,2\n", {}, r":1: eda: has two eda columns"),
    ("time,t,eda\n0,0,1\n", {}, r":1: has several time columns \(time, t\)"),
    ("time\n0\n", {}, r":1: has no value column"),
    ("time,hr\n0,1\n", {"kind": "eda"}, r":1: hr: column 'hr' holds hr but kind='eda'"),
    ("time,a,b\n0,1,2\n", {"kind": "eda"}, r"value columns 'a', 'b' and none named 'eda'"),
    ("time,x,y,z\n0,1,2,3\n", {"kind": "acc"}, r"kind: kind='acc' is read from an E4-style"),
    ("time,eda\n0,1\n1,2\n", {"sampling_rate": 4.0}, r"sampling_rate: has a time column"),
    ("time,eda\n0,1\n1,2\n", {"start": 0.0}, r"start: has a time column"),
    ("eda\n1\n2\n", {}, r"sampling_rate: is not given; the file has no time column"),
    ("eda\n1\n2\n", {"sampling_rate": 4.0}, r"start: is not given"),
    ("0.1\n0.2\n", {}, r":1: kind: has no header naming its columns; .* or pass kind="),
    ("0.1\n0.2\n", {"kind": "eda", "start": 0.0}, r"sampling_rate: is not given; .*no header"),
    ("0.1,0.2\n", {"kind": "eda", "sampling_rate": 4, "start": 0}, r"has 2 columns; expected 1"),
    ("0.1\nx\n", {"kind": "eda", "sampling_rate": 4, "start": 0}, r":2: found 'x'"),
    (
        "time,eda\n2021-03-02T10:00:00Z,1\n2021-03-02T10:00:01,2\n",
        {},
        r":3: time: found '2021-03-02T10:00:01' after timestamps with a timezone",
    ),
    ("time,eda\n1900-01-01T00:00:00Z,1\n", {}, r":2: time: .*not a plausible Unix time"),
    ("time,eda\n100000005,1\n100000006,2\n", {}, r":2: time: 100000005.0 \(1973-03-03\) is not"),
    ("time,eda\n0,1\n1614680000,2\n", {}, r":3: time: is 1\.61468e\+09 after 0; expected rel"),
    ("time;eda\n0;1\n", {}, r"unknown column 'time;eda'; .* separated by commas or tabs"),
    (
        "1\n00:00:01,000 --> 00:00:02,000\nHello\n",
        {"kind": "eda"},
        r"signal\.csv:2: has 3 cells; expected 1",
    ),
    ('time,eda\n0,"1\n', {}, r":2: a quoted cell starting here is never closed"),
]


@pytest.mark.parametrize(("content", "kwargs", "message"), BAD)
def test_bad_input(tmp_path, content, kwargs, message):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AttunementWarning)
        with pytest.raises(InputError, match=message):
            read(tmp_path, content, **kwargs)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"role": "patient"}, r"role: is 'patient'; expected one of therapist, client, other"),
        ({"kind": "gsr"}, r"kind: is 'gsr'; expected one of eda, hr"),
        ({"sampling_rate": 0}, r"sampling_rate: is 0; expected a positive number of Hz"),
        ({"sampling_rate": -4.0}, r"sampling_rate: is -4.0; expected a positive"),
        ({"sampling_rate": float("nan")}, r"sampling_rate: is nan; expected a finite number"),
        ({"sampling_rate": "4"}, r"sampling_rate: is '4'; expected a finite number"),
        ({"start": float("inf")}, r"start: is inf; expected a finite number"),
        ({"start": True}, r"start: is True; expected a finite number"),
    ],
)
def test_bad_arguments(tmp_path, kwargs, message):
    with pytest.raises(InputError, match=message):
        read(tmp_path, "eda\n1\n", **kwargs)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(InputError, match=r"nope\.csv: no such file"):
        read_signal_csv(tmp_path / "nope.csv", role="client")
    with pytest.raises(InputError, match=r"is a folder; expected a file"):
        read_signal_csv(tmp_path, role="client")


# --- hypothesis ---------------------------------------------------------------------------------


def _read_or_input_error(path: Path, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AttunementWarning)
        try:
            return read_signal_csv(path, role="therapist", **kwargs)
        except InputError:
            return None


@FUZZ
@given(content=st.binary(max_size=300), kind=st.sampled_from([None, "eda", "acc", "ibi"]))
def test_fuzz_bytes(tmp_path, content, kind):
    _read_or_input_error(write(tmp_path, content), kind=kind)


@FUZZ
@given(
    content=st.text(alphabet='0123456789.,-+:eE \n\t"timeda_hrZT', max_size=200),
    kind=st.sampled_from([None, "eda", "acc"]),
    rate=st.sampled_from([None, 4.0]),
)
def test_fuzz_text(tmp_path, content, kind, rate):
    kwargs = {"kind": kind} if rate is None else {"kind": kind, "sampling_rate": rate, "start": 0}
    _read_or_input_error(write(tmp_path, content), **kwargs)


@FUZZ
@given(
    values=st.lists(
        st.floats(allow_nan=False, allow_infinity=False, width=64), min_size=1, max_size=60
    ),
    rate=st.sampled_from([1.0, 4.0, 32.0, 64.0, 100.0]),
    start=st.floats(-1e4, 1e4, allow_nan=False) | st.integers(946_684_800, 4_000_000_000),
)
def test_round_trip_regular(tmp_path, values, rate, start):
    start = float(start)
    rows = "".join(f"{start + i / rate!r},{v!r}\n" for i, v in enumerate(values))
    # temp has no physical bound checked, so any float comes back as written
    (s,) = read_signal_csv(write(tmp_path, "time,temp\n" + rows), role="client")
    np.testing.assert_array_equal(s.values, values)
    assert s.start == start
    if len(values) > 1:
        assert s.sampling_rate == pytest.approx(rate, rel=1e-9)


@FUZZ
@given(
    steps=st.lists(st.floats(0.001, 100.0), min_size=1, max_size=40),
    start=st.floats(-1e3, 1e3),
    kind=st.sampled_from(["hr", "ibi", "f0"]),
)
def test_round_trip_times(tmp_path, steps, start, kind):
    """Whatever the spacing, the time axis read back matches the times written."""
    times = start + np.concatenate([[0.0], np.cumsum(steps)])
    if np.any(np.diff(times) <= 0):  # steps lost to rounding at this magnitude
        return
    rows = "".join(f"{float(t)!r},{i + 1}\n" for i, t in enumerate(times))
    (s,) = read_signal_csv(write(tmp_path, f"time,{kind}\n" + rows), role="client")
    assert s.values.tolist() == list(range(1, len(times) + 1))
    if s.sampling_rate is None:
        np.testing.assert_array_equal(s.times, times)
    else:  # within 1 % of a step, plus rounding of at most a tenth of a step
        assert kind != "ibi"
        step = 1 / s.sampling_rate
        assert np.max(np.abs(s.time_axis() - times)) <= 0.111 * step + 1e-9


@FUZZ
@given(
    seconds=st.lists(st.integers(0, 10**6), min_size=1, max_size=20, unique=True).map(sorted),
    offset=st.sampled_from(["Z", "+01:00", "-05:30"]),
)
def test_round_trip_iso(tmp_path, seconds, offset):
    base = dt.datetime(2021, 3, 2, tzinfo=dt.UTC)
    tz = dt.UTC if offset == "Z" else dt.datetime.strptime(offset, "%z").tzinfo
    stamps = [(base + dt.timedelta(milliseconds=ms)).astimezone(tz) for ms in seconds]
    rows = "".join(
        f"{t.isoformat(timespec='milliseconds').replace('+00:00', 'Z')},1\n" for t in stamps
    )
    (s,) = read_signal_csv(write(tmp_path, "time,hr\n" + rows), role="client")
    expected = np.array([t.timestamp() for t in stamps])
    step = 0 if s.sampling_rate is None else 1 / s.sampling_rate
    # within 1 % of a step plus the millisecond precision the times are written with
    np.testing.assert_allclose(s.time_axis(), expected, rtol=0, atol=0.01 * step + 1e-3 + 1e-6)
    assert s.start == pytest.approx(expected[0], abs=1e-6)


def test_impossible_values_are_missing_with_a_warning(tmp_path):
    text = "time,eda,hr\n0,0.30,70\n1,-0.50,0\n2,0.32,71\n"
    with pytest.warns(AttunementWarning) as record:
        eda, hr = read_signal_csv(write(tmp_path, text), role="client")
    messages = sorted(str(w.message).removeprefix(f"{tmp_path}/") for w in record)
    assert messages[0].startswith("signal.csv:3: eda: 1 value (-0.5) is impossible; expected skin")
    assert messages[1].startswith("signal.csv:3: hr: 1 value (0) is impossible; expected a heart")
    assert np.isnan(eda.values[1]) and np.isnan(hr.values[1])
    assert eda.values[[0, 2]].tolist() == [0.30, 0.32]
