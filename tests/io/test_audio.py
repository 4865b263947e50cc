import io
import shutil
import struct
import subprocess
import wave
import zipfile

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from attunement.errors import InputError
from attunement.io.audio import Audio, read_audio

RATE = 8000


def wav_bytes(samples: np.ndarray, *, rate: int = RATE, channels: int = 1) -> bytes:
    """16-bit PCM WAV; ``samples`` in ±1, shape (n,) or (n, channels)."""
    pcm = np.round(np.asarray(samples) * 32767).astype("<i2")
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    return buf.getvalue()


def float_wav_bytes(samples: np.ndarray, *, rate: int = RATE) -> bytes:
    """32-bit IEEE float WAV (format tag 3), which the stdlib cannot write."""
    data = np.asarray(samples, dtype="<f4").tobytes()
    fmt = struct.pack("<HHIIHH", 3, 1, rate, rate * 4, 4, 32)
    body = b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt
    body += b"data" + struct.pack("<I", len(data)) + data
    return b"RIFF" + struct.pack("<I", len(body)) + body


TONE = 0.5 * np.sin(2 * np.pi * 220 * np.arange(RATE // 2) / RATE)


def test_reads_pcm_wav(tmp_path):
    path = tmp_path / "session.wav"
    path.write_bytes(wav_bytes(TONE))
    audio = read_audio(path)
    assert isinstance(audio, Audio)
    samples, rate = audio  # unpacks like a tuple
    assert rate == RATE
    assert samples.shape == (RATE // 2,)
    assert samples.dtype == np.float64
    np.testing.assert_allclose(samples, TONE, atol=1 / 32767)
    assert audio.duration_s == pytest.approx(0.5)


def test_reads_str_path(tmp_path):
    path = tmp_path / "s.wav"
    path.write_bytes(wav_bytes(TONE))
    assert read_audio(str(path)).sampling_rate == RATE


def test_stereo_is_mixed_or_one_channel_kept(tmp_path):
    left, right = TONE, -0.5 * TONE
    path = tmp_path / "stereo.wav"
    path.write_bytes(wav_bytes(np.column_stack([left, right]), channels=2))
    np.testing.assert_allclose(read_audio(path).samples, (left + right) / 2, atol=1 / 32767)
    np.testing.assert_allclose(read_audio(path, channel=0).samples, left, atol=1 / 32767)
    np.testing.assert_allclose(read_audio(path, channel=1).samples, right, atol=1 / 32767)
    with pytest.raises(InputError, match=r"stereo\.wav: channel: channel 2 requested .* 2 "):
        read_audio(path, channel=2)


@pytest.mark.parametrize("channel", [-1, 1.0, "0", True])
def test_bad_channel_argument(tmp_path, channel):
    path = tmp_path / "mono.wav"
    path.write_bytes(wav_bytes(TONE))
    with pytest.raises(InputError, match="channel"):
        read_audio(path, channel=channel)


def test_float_wav(tmp_path):
    path = tmp_path / "float.wav"
    path.write_bytes(float_wav_bytes(TONE))
    np.testing.assert_allclose(read_audio(path).samples, TONE, atol=1e-6)


def test_float_wav_with_nan_is_refused(tmp_path):
    path = tmp_path / "nan.wav"
    values = TONE.copy()
    values[100] = np.nan
    path.write_bytes(float_wav_bytes(values))
    with pytest.raises(InputError, match=r"nan\.wav: sample 100 \(0\.013 s\) is nan"):
        read_audio(path)


@pytest.mark.skipif(shutil.which("sox") is None, reason="sox is not installed")
def test_reads_flac(tmp_path):
    wav = tmp_path / "in.wav"
    wav.write_bytes(wav_bytes(TONE))
    flac = tmp_path / "out.flac"
    subprocess.run(["sox", str(wav), str(flac)], check=True, capture_output=True)
    np.testing.assert_allclose(read_audio(flac).samples, TONE, atol=1 / 32767)


def _zip_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("EDA.csv", "1.0\n4.0\n0.1\n")
    return buf.getvalue()


FULL = wav_bytes(TONE)
BAD_FILES = {
    "empty": (b"", "is empty"),
    "text renamed .wav": (b"Therapist: hello\nClient: hi\n" * 20, "is not a sound file"),
    "csv renamed .wav": (b"start,end,text\n0,1,hi\n", "is not a sound file"),
    "png renamed .wav": (b"\x89PNG\r\n\x1a\n" + bytes(200), "is not a sound file"),
    "zip renamed .wav": (_zip_bytes(), "is not a sound file"),
    "binary noise": (bytes(range(256)) * 8, "is not a sound file"),
    "riff without wave": (b"RIFF" + struct.pack("<I", 100) + b"JUNK" + bytes(100), "sound"),
    "header cut": (FULL[:30], "cannot be read as sound"),
    "cut mid-way": (FULL[: len(FULL) // 2], "is truncated"),
    "last sample cut": (FULL[:-1], "is truncated"),
    "no samples": (wav_bytes(np.zeros(0)), "0 samples"),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_files(tmp_path, case):
    data, message = BAD_FILES[case]
    path = tmp_path / "session.wav"
    path.write_bytes(data)
    with pytest.raises(InputError, match=message) as info:
        read_audio(path)
    assert info.value.path == str(path)
    assert str(info.value).startswith(str(path))


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match=r"missing\.wav: no such file; expected a sound file"):
        read_audio(tmp_path / "missing.wav")


def test_folder(tmp_path):
    with pytest.raises(InputError, match="is a folder"):
        read_audio(tmp_path)


@settings(max_examples=100)
@given(data=st.binary(min_size=1, max_size=400))
def test_fuzz_arbitrary_bytes_only_raise_input_error(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("fuzz") / "x.wav"
    path.write_bytes(data)
    try:
        audio = read_audio(path)
    except InputError:
        return
    assert audio.samples.ndim == 1 and np.isfinite(audio.samples).all()


@settings(max_examples=60)
@given(cut=st.integers(min_value=1, max_value=len(FULL) - 1))
def test_any_truncation_is_refused(tmp_path_factory, cut):
    path = tmp_path_factory.mktemp("cut") / "x.wav"
    path.write_bytes(FULL[:cut])
    with pytest.raises(InputError):
        read_audio(path)


@settings(max_examples=60)
@given(
    prefix=st.binary(min_size=0, max_size=64),
    position=st.integers(min_value=0, max_value=len(FULL) - 1),
)
def test_fuzz_corrupted_wav(tmp_path_factory, prefix, position):
    data = FULL[:position] + prefix + FULL[position + len(prefix) :]
    path = tmp_path_factory.mktemp("corrupt") / "x.wav"
    path.write_bytes(data)
    try:
        audio = read_audio(path)
    except InputError:
        return
    assert audio.samples.ndim == 1 and audio.sampling_rate > 0
