"""Decoding recordings: every container read the same way, and bad files refused by name."""

import struct

import numpy as np
import pytest
from recording_fixtures import RATE, encode, write_wav

from attunement.errors import InputError
from attunement.io import recording as audio_mod
from attunement.io.recording import MAX_DURATION_S, SAMPLING_RATE, decode_recording


def tone(seconds=2.0, rate=RATE):
    t = np.arange(int(seconds * rate)) / rate
    return 0.3 * np.sin(2 * np.pi * 220 * t)


@pytest.mark.parametrize(
    ("name", "fmt", "codec", "video"),
    [
        ("a.flac", "flac", "flac", False),
        ("a.mp3", "mp3", "libmp3lame", False),
        ("a.m4a", "mp4", "aac", False),
        ("a.ogg", "ogg", "libopus", False),
        ("a.mkv", "matroska", "libopus", False),
        ("a.mp4", "mp4", "aac", True),
        ("a.mov", "mov", "aac", True),
    ],
)
def test_containers_and_the_sound_of_videos_decode_to_16_khz(tmp_path, name, fmt, codec, video):
    path = encode(tmp_path / name, tone(), fmt=fmt, codec=codec, video=video)
    rec = decode_recording(path)
    assert rec.n_channels == 1
    assert rec.duration_s == pytest.approx(2.0, abs=0.15)  # AAC adds its priming samples
    x = rec.channel(0)
    assert x.dtype == np.float32
    # the 220 Hz tone survives the codec and the resampling
    spectrum = np.abs(np.fft.rfft(x[:SAMPLING_RATE]))
    assert np.argmax(spectrum) == pytest.approx(220, abs=2)


def test_wav_at_another_rate_is_resampled_and_stereo_kept(tmp_path):
    path = write_wav(tmp_path / "s.wav", np.stack([tone(1, 44100), 0.5 * tone(1, 44100)]), 44100)
    rec = decode_recording(path)
    assert (rec.n_channels, rec.source_rate, rec.codec) == (2, 44100, "pcm_s16le")
    assert rec.samples.shape[1] == pytest.approx(SAMPLING_RATE, abs=64)
    assert np.abs(rec.mono()).max() == pytest.approx(0.225, abs=0.02)


def test_a_name_does_not_matter_content_does(tmp_path):
    path = encode(tmp_path / "looks_like.wav", tone(), fmt="flac", codec="flac")
    assert decode_recording(path).codec == "flac"


def _wav_header(n_bytes, rate=8000, tag=1):
    return (
        b"RIFF"
        + struct.pack("<I", 36 + n_bytes)
        + b"WAVEfmt "
        + struct.pack("<IHHIIHH", 16, tag, 1, rate, rate * 2, 2, 16)
        + b"data"
        + struct.pack("<I", n_bytes)
    )


def test_four_hours_are_refused_before_decoding(tmp_path):
    # a complete 4-hour WAV of digital silence, as a sparse file: 230 MB that take no disk
    n_bytes = 4 * 3600 * 8000 * 2
    path = tmp_path / "four_hours.wav"
    with path.open("wb") as fh:
        fh.write(_wav_header(n_bytes))
        fh.truncate(44 + n_bytes)
    with pytest.raises(InputError, match=r"four_hours.wav: is 4:00:00 long; expected at most 3:00"):
        decode_recording(path)
    assert MAX_DURATION_S == 3 * 3600


def test_a_file_that_hides_its_length_is_stopped_while_decoding(tmp_path, monkeypatch):
    path = write_wav(tmp_path / "long.wav", tone(3.0))
    monkeypatch.setattr(audio_mod, "_announced_duration", lambda container, stream: None)
    with pytest.raises(InputError, match=r"long.wav: is longer than 0:00:01; expected at most"):
        decode_recording(path, max_duration_s=1.0)


def test_truncated_wav_flac_and_mp4(tmp_path):
    wav = write_wav(tmp_path / "full.wav", tone(2.0))
    data = wav.read_bytes()
    (tmp_path / "cut.wav").write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match=r"cut.wav: is truncated: its header announces 64000"):
        decode_recording(tmp_path / "cut.wav")
    flac = encode(tmp_path / "full.flac", tone(4.0) + 0.01, fmt="flac", codec="flac")
    data = flac.read_bytes()
    (tmp_path / "cut.flac").write_bytes(data[: len(data) // 2])
    with pytest.raises(
        InputError, match=r"cut.flac: is truncated or damaged: its header announces 4.0 s"
    ):
        decode_recording(tmp_path / "cut.flac")
    mp4 = encode(tmp_path / "full.mp4", tone(2.0), fmt="mp4", codec="aac", video=True)
    data = mp4.read_bytes()
    (tmp_path / "cut.mp4").write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match=r"cut.mp4: is not an audio or video file FFmpeg can read"):
        decode_recording(tmp_path / "cut.mp4")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", r"empty.bin: is empty \(0 bytes\); expected an audio or video file"),
        (b"Therapist: hello\nClient: hi\n" * 20, r"empty.bin: is not an audio or video file"),
        # FFmpeg takes these bytes for a raw video format
        (bytes(range(256)) * 40, r"empty.bin: audio: has no audio track \(read as \w+"),
    ],
)
def test_empty_and_non_audio_files(tmp_path, content, message):
    path = tmp_path / "empty.bin"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        decode_recording(path)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(InputError, match=r"nope.wav: no such file; expected an audio"):
        decode_recording(tmp_path / "nope.wav")
    with pytest.raises(InputError, match=r": is a folder; expected an audio"):
        decode_recording(tmp_path)


def test_an_unsupported_codec_is_named(tmp_path):
    samples = (tone(1.0, 8000) * 32767).astype("<i2").tobytes()
    path = tmp_path / "odd.wav"
    path.write_bytes(_wav_header(len(samples), tag=0x9999) + samples)
    with pytest.raises(InputError, match=r"odd.wav: its audio track uses a codec FFmpeg cannot"):
        decode_recording(path)


def test_a_video_without_sound(tmp_path):
    import av

    path = tmp_path / "silent_film.mp4"
    with av.open(str(path), "w", format="mp4") as out:
        v = out.add_stream("mpeg4", rate=5)
        v.width, v.height, v.pix_fmt = 32, 32, "yuv420p"
        for _ in range(5):
            frame = av.VideoFrame.from_ndarray(np.zeros((32, 32, 3), np.uint8), format="rgb24")
            for p in v.encode(frame):
                out.mux(p)
        for p in v.encode():
            out.mux(p)
    with pytest.raises(
        InputError,
        match=r"silent_film.mp4: audio: has no audio track \(read as mov.*found: video\)",
    ):
        decode_recording(path)


def test_a_wav_without_samples(tmp_path):
    path = tmp_path / "nothing.wav"
    path.write_bytes(_wav_header(0))
    with pytest.raises(InputError, match=r"nothing.wav: holds no sound samples"):
        decode_recording(path)
