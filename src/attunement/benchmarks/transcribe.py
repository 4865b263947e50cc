"""Benchmark of ``transcribe_recording`` beside faster-whisper called directly, in one run.

The recordings are made by the benchmark itself with espeak-ng, so that the words, the speakers
and their times are known exactly: two-person dialogues of about a minute (a male and a female
voice, two male and two female voices), with pauses of 0.2-1.2 s between turns and a share of
turns that start 0.2-0.5 s before the other person has finished (short overlaps), mixed into
one channel at 16 kHz.

Each system runs in its own process (so that its peak memory is its own):

- ``attunement``: :func:`attunement.transcribe.transcribe_recording` with the default model
  (Whisper tiny.en, int8, greedy), speakers estimated unless given;
- ``faster_whisper``: ``WhisperModel(...).transcribe(audio, language="en", vad_filter=True)``
  with faster-whisper's defaults (beam search of 5), the same model, no diarization: every word
  is one person's, which is what a transcript without speakers amounts to.

Measures, per dialogue and over all of them (words pooled):

- ``wer``: word error rate against the script, after lower-casing, removing punctuation and
  expanding common contractions (``I'm`` -> ``i am``);
- ``attribution``: share of the recognised words (aligned with the script's words by the same
  edit-distance alignment as the WER) given to the person who said them, under the best
  one-to-one mapping of labels to people;
- ``der``: diarization error rate (missed speech + false alarm + speaker confusion over the
  reference speech), 10 ms frames, a 0.25 s collar around each reference boundary not scored,
  overlaps scored; reference speech is where each voice's own signal is louder than -35 dB of
  its peak (pauses under 0.3 s bridged), hypothesis speech the span of each word;
- ``rtf``: real-time factor, wall-clock seconds per second of audio, including loading the
  model and decoding the file.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tempfile
import time
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from attunement.errors import InputError

__all__ = [
    "DIALOGUES",
    "Dialogue",
    "attribution_accuracy",
    "diarization_error_rate",
    "normalise_words",
    "run_transcribe_benchmark",
    "synthesise",
    "word_error_rate",
]

RATE = 16000

_SCRIPTS = {
    "drinking": [
        "What brings you in today?",
        "I keep saying I will cut down on drinking, and then I do not.",
        "Part of you wants to change, and part of you is not sure it is worth it.",
        "Yes. I really want to be there for my kids.",
        "Your kids matter a great deal to you.",
        "They do. I think I could try going without on weekdays.",
        "That sounds like a plan you came to yourself. How would you start?",
        "Maybe I would stop buying beer with the groceries on Monday.",
        "And if a friend asks you out for a drink after work?",
        "Then I would say I am driving. That usually works.",
        "You have thought about the hard moments already.",
        "I have. The evenings are the hardest part, when the house is quiet.",
        "Tell me more about those quiet evenings.",
        "I sit on the couch and I feel tired and alone, and a glass seems to help.",
        "So the drink keeps you company when you feel lonely.",
        "Right. It sounds sad when you say it like that.",
        "What else could keep you company in the evening?",
        "I used to play the guitar. I could call my sister too.",
    ],
    "sleep": [
        "How have you been sleeping since we last met?",
        "Badly. I wake up at night and my mind starts racing.",
        "What goes through your mind when you wake up?",
        "Mostly work. The emails I did not answer and the meeting on Friday.",
        "So the worries from the day follow you into the night.",
        "Exactly. And then I look at my phone, which makes it worse.",
        "You already notice that the phone keeps you awake.",
        "I do. I know I should leave it in the kitchen.",
        "What would make that easier for you?",
        "Maybe an old alarm clock, so I do not need the phone at all.",
        "That is a clear idea. What else helps you calm down?",
        "A warm shower helps, and reading a paper book for a while.",
        "It sounds like you know quite a lot about what works for you.",
        "I suppose I do. I just forget it when I am stressed.",
        "How could you remind yourself on a stressful evening?",
        "I could write a short list and put it next to my bed.",
    ],
    "anger": [
        "Last time you mentioned the argument with your brother. How are things now?",
        "We have not spoken for two weeks. I am still angry with him.",
        "The anger is still there, and the silence is hard too.",
        "It is. He was always the favourite, and he never sees it.",
        "It hurts that he does not see how you were treated.",
        "Yes. But I also miss him. We used to be close as children.",
        "You are angry with him and you miss him at the same time.",
        "That is it. I do not know which feeling to listen to.",
        "What would you like to happen between the two of you?",
        "I would like him to listen to me for once, without making jokes.",
        "Being heard by him would mean a lot.",
        "It would. Maybe I could write him a letter first.",
        "A letter would let you say it calmly, in your own words.",
        "And he could read it when he is ready. I like that.",
        "When might you start writing it?",
        "This weekend, when the children are at their grandmother.",
    ],
}


@dataclass(frozen=True)
class Dialogue:
    """One synthetic dialogue: a name, the kind of pair, espeak-ng voices (taking turns in
    order), and a script (the name of one of the benchmark's, or the lines themselves)."""

    name: str
    pair: str
    voices: tuple[str, ...]
    script: str | tuple[str, ...]
    seed: int = 0
    overlap_share: float = 0.2


#: The dialogues of the benchmark.
DIALOGUES = (
    Dialogue("drinking_mf", "male/female", ("en-us+m3", "en-us+f3"), "drinking", seed=1),
    Dialogue("sleep_fm", "female/male", ("en-gb+f4", "en-us+m1"), "sleep", seed=2),
    Dialogue("anger_mm", "male/male", ("en-us+m1", "en-gb+m4"), "anger", seed=3),
    Dialogue("drinking_mm", "male/male", ("en-us+m3", "en-us+m7"), "drinking", seed=4),
    Dialogue("sleep_ff", "female/female", ("en-us+f2", "en-gb+f4"), "sleep", seed=5),
    Dialogue("anger_ff", "female/female", ("en-us+f1", "en-us+f5"), "anger", seed=6),
)


def _espeak(voice: str, text: str, speed: int) -> np.ndarray:
    from scipy.signal import resample_poly

    try:
        done = subprocess.run(
            ["espeak-ng", "-v", voice, "-s", str(speed), "--stdout", text],
            capture_output=True,
            check=True,
            timeout=60,
        )
    except FileNotFoundError:
        raise InputError(
            "espeak-ng is not installed; expected it on PATH (apt-get install espeak-ng)",
            field="benchmark transcribe",
        ) from None
    with wave.open(io.BytesIO(done.stdout)) as w:
        rate = w.getframerate()
        x = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16).astype(np.float64)
    x = x / 32768.0
    g = np.gcd(RATE, rate)
    x = resample_poly(x, RATE // g, rate // g) if rate != RATE else x
    loud = np.flatnonzero(np.abs(x) > 0.01)
    return x[max(loud[0] - 160, 0) : loud[-1] + 160] if loud.size else x


def synthesise(dialogue: Dialogue, *, repeat: int = 1) -> tuple[np.ndarray, pd.DataFrame]:
    """The dialogue's audio (float64, 16 kHz, one channel) and its script with times.

    Returns
    -------
    samples : numpy.ndarray
    turns : pandas.DataFrame
        ``speaker`` (0, 1, ...), ``start``, ``end`` (s), ``text``; ``attrs["own"]`` holds each
        voice's own signal (for the reference speech of the DER).
    """
    rng = np.random.default_rng(dialogue.seed)
    script = dialogue.script
    lines = list(_SCRIPTS[script] if isinstance(script, str) else script) * repeat
    pieces, rows = [], []
    t = 0.3
    for i, text in enumerate(lines):
        speaker = i % len(dialogue.voices)
        x = _espeak(dialogue.voices[speaker], text, int(rng.integers(150, 180)))
        x = x * (0.5 + 0.2 * (speaker % 2)) / max(np.abs(x).max(), 1e-9)
        if i:
            gap = rng.uniform(0.2, 1.2)
            if rng.random() < dialogue.overlap_share:
                gap = -rng.uniform(0.2, 0.5)
            t = rows[-1]["end"] + gap
        rows.append({"speaker": speaker, "start": t, "end": t + x.size / RATE, "text": text})
        pieces.append((round(t * RATE), x))
    n = max(s + x.size for s, x in pieces) + RATE // 2
    y = np.zeros(n)
    own = [np.zeros(n) for _ in dialogue.voices]
    for (s, x), row in zip(pieces, rows, strict=True):
        y[s : s + x.size] += x
        own[row["speaker"]][s : s + x.size] += x
    turns = pd.DataFrame(rows)
    turns.attrs["own"] = own
    return np.clip(y, -1, 1), turns


_CONTRACTIONS = {
    "i'm": "i am",
    "i've": "i have",
    "i'll": "i will",
    "i'd": "i would",
    "you're": "you are",
    "you've": "you have",
    "you'll": "you will",
    "it's": "it is",
    "that's": "that is",
    "there's": "there is",
    "what's": "what is",
    "he's": "he is",
    "she's": "she is",
    "we're": "we are",
    "they're": "they are",
    "don't": "do not",
    "doesn't": "does not",
    "didn't": "did not",
    "can't": "can not",
    "cannot": "can not",
    "won't": "will not",
    "isn't": "is not",
    "wasn't": "was not",
    "haven't": "have not",
    "wouldn't": "would not",
    "couldn't": "could not",
}


def normalise_words(text: str) -> list[str]:
    """Lower-cased words without punctuation, contractions expanded.

    Examples
    --------
    >>> normalise_words("I'm fine, thanks. Week-days?")
    ['i', 'am', 'fine', 'thanks', 'week', 'days']
    """
    import re

    words = []
    for token in re.sub(r"[^a-z0-9' ]+", " ", text.lower().replace("-", " ")).split():
        token = token.strip("'")
        if token:
            words.extend(_CONTRACTIONS.get(token, token).split())
    return words


def _align(ref: list[str], hyp: list[str]) -> list[tuple[int | None, int | None]]:
    """Edit-distance alignment: pairs (ref index or None, hyp index or None)."""
    n, m = len(ref), len(hyp)
    d = np.zeros((n + 1, m + 1), dtype=np.int32)
    d[:, 0] = np.arange(n + 1)
    d[0, :] = np.arange(m + 1)
    vocab = {w: k for k, w in enumerate(dict.fromkeys(ref + hyp))}
    h = np.array([vocab[w] for w in hyp], dtype=np.int64)
    idx = np.arange(m + 1)
    for i in range(1, n + 1):
        # without the insertions first, then insertions as a running minimum along the row
        row = np.empty(m + 1, dtype=np.int32)
        row[0] = i
        row[1:] = np.minimum(d[i - 1, 1:] + 1, d[i - 1, :-1] + (h != vocab[ref[i - 1]]))
        d[i] = np.minimum.accumulate(row - idx) + idx
    pairs: list[tuple[int | None, int | None]] = []
    i, j = n, m
    while i or j:
        if i and j and d[i, j] == d[i - 1, j - 1] + (ref[i - 1] != hyp[j - 1]):
            pairs.append((i - 1, j - 1))
            i, j = i - 1, j - 1
        elif i and d[i, j] == d[i - 1, j] + 1:
            pairs.append((i - 1, None))
            i -= 1
        else:
            pairs.append((None, j - 1))
            j -= 1
    return pairs[::-1]


def word_error_rate(ref: list[str], hyp: list[str]) -> tuple[float, int]:
    """(WER, number of reference words).

    Examples
    --------
    >>> word_error_rate(["a", "b", "c", "d"], ["a", "x", "c"])
    (0.5, 4)
    """
    pairs = _align(ref, hyp)
    errors = sum(1 for r, h in pairs if r is None or h is None or ref[r] != hyp[h])
    return (errors / len(ref) if ref else float("nan")), len(ref)


def _best_mapping(counts: np.ndarray) -> float:
    """Largest total of a one-to-one mapping of hypothesis labels (columns) to reference
    speakers (rows) in a confusion table of counts."""
    from scipy.optimize import linear_sum_assignment

    rows, cols = linear_sum_assignment(-counts)
    return float(counts[rows, cols].sum())


def attribution_accuracy(
    ref_words: list[str], ref_speakers: list[int], hyp_words: list[str], hyp_speakers: list[str]
) -> tuple[float, int]:
    """(share of aligned recognised words given to the right person, words aligned).

    Examples
    --------
    >>> attribution_accuracy(["a", "b", "c"], [0, 1, 1], ["a", "b", "c"], ["x", "y", "x"])
    (0.6666666666666666, 3)
    """
    labels = sorted(set(hyp_speakers))
    people = sorted(set(ref_speakers))
    counts = np.zeros((len(people), max(len(labels), 1)))
    n = 0
    for r, h in _align(ref_words, hyp_words):
        if r is not None and h is not None:
            counts[people.index(ref_speakers[r]), labels.index(hyp_speakers[h])] += 1
            n += 1
    return (_best_mapping(counts) / n if n else float("nan")), n


def _reference_activity(own: list[np.ndarray], n_frames: int) -> np.ndarray:
    from scipy.ndimage import binary_closing

    hop = RATE // 100
    active = np.zeros((len(own), n_frames), dtype=bool)
    for k, x in enumerate(own):
        m = min(n_frames, x.size // hop)
        frames = x[: m * hop].reshape(m, hop)
        level = 10 * np.log10(np.mean(frames**2, axis=1) + 1e-12)
        on = level > level.max() - 35.0
        active[k, :m] = binary_closing(on, structure=np.ones(31, dtype=bool)) | on
    return active


def diarization_error_rate(
    reference: np.ndarray, hyp_words: pd.DataFrame, *, collar_s: float = 0.25
) -> float:
    """DER of the words' speakers against reference activity (speakers x 10 ms frames).

    ``hyp_words`` has ``speaker``, ``start``, ``end``; a word marks its speaker active from its
    start to its end (pauses under 0.3 s between one speaker's words bridged).
    """
    n = reference.shape[1]
    labels = sorted(set(hyp_words["speaker"]))
    hyp = np.zeros((max(len(labels), 1), n), dtype=bool)
    for w in hyp_words.itertuples(index=False):
        a, b = int(w.start * 100), int(np.ceil(w.end * 100))
        hyp[labels.index(w.speaker), max(a, 0) : min(b, n)] = True
    from scipy.ndimage import binary_closing

    for k in range(hyp.shape[0]):
        hyp[k] = binary_closing(hyp[k], structure=np.ones(31, dtype=bool)) | hyp[k]
    scored = np.ones(n, dtype=bool)
    c = int(collar_s * 100)
    for k in range(reference.shape[0]):
        # frame e is the first after a change (the recording's start and end count too)
        edges = np.flatnonzero(np.diff(np.r_[0, reference[k].astype(int), 0]))
        for e in edges:
            scored[max(e - c, 0) : e + c] = False
    ref, hyp = reference[:, scored], hyp[:, scored]
    counts = (ref[:, None, :] & hyp[None, :, :]).sum(axis=2).astype(float)
    correct = _best_mapping(counts)
    n_ref, n_hyp = ref.sum(axis=0), hyp.sum(axis=0)
    total = float(n_ref.sum())
    errors = float(np.maximum(n_ref, n_hyp).sum()) - correct
    return errors / total if total else float("nan")


def _write_wav(path: Path, samples: np.ndarray) -> None:
    with wave.open(os.fspath(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())


def _worker(system: str, jobs: list[dict]) -> list[dict]:
    """Run one system on every file (in this process) and say what it heard and how fast."""
    import resource

    out = []
    for job in jobs:
        t0 = time.perf_counter()
        if system == "attunement":
            from attunement.transcribe import transcribe_recording

            result = transcribe_recording(job["path"], speakers=job["speakers"])
            words = result.words[["speaker", "start", "end", "word"]].to_dict("list")
            extra = {"n_speakers": result.method["n_speakers"]}
        else:
            from faster_whisper import WhisperModel

            from attunement.transcribe.asr import default_model_path

            model = WhisperModel(
                os.fspath(default_model_path()),
                device="cpu",
                compute_type="int8",
                cpu_threads=len(os.sched_getaffinity(0)),
                local_files_only=True,
            )
            segments, _ = model.transcribe(job["path"], language="en", vad_filter=True)
            segments = list(segments)
            words = {
                "speaker": ["all"] * len(segments),
                "start": [s.start for s in segments],
                "end": [s.end for s in segments],
                "word": [s.text for s in segments],
            }
            extra = {"n_speakers": 1}
        out.append({"elapsed_s": time.perf_counter() - t0, "words": words, **extra})
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return [{**o, "peak_rss_mb": peak} for o in out]


def _run_in_process(system: str, jobs: list[dict]) -> list[dict]:
    code = (
        "import json, sys\n"
        "from attunement.benchmarks.transcribe import _worker\n"
        "system, jobs = json.load(sys.stdin)\n"
        "json.dump(_worker(system, jobs), sys.stdout)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        input=json.dumps([system, jobs]),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{system} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout)


def _hyp_words(words: dict) -> tuple[list[str], list[str]]:
    tokens, speakers = [], []
    for speaker, text in zip(words["speaker"], words["word"], strict=True):
        for token in normalise_words(text):
            tokens.append(token)
            speakers.append(speaker)
    return tokens, speakers


def run_transcribe_benchmark(
    dialogues: tuple[Dialogue, ...] = DIALOGUES,
    *,
    speakers: int | None = None,
    repeat: int = 1,
    progress=None,
) -> tuple[pd.DataFrame, dict]:
    """Transcribe the synthetic dialogues with attunement and with faster-whisper directly.

    Parameters
    ----------
    dialogues : tuple of Dialogue
    speakers : int, optional
        Given to attunement (2); None lets it estimate the number.
    repeat : int
        Repeat each script this many times (longer dialogues, e.g. for the memory at session
        length).
    progress : callable, optional
        Called with a line of text at each step.

    Returns
    -------
    table : pandas.DataFrame
        One row per dialogue and one ``all`` row (words pooled): ``dialogue``, ``pair``,
        ``duration_s``, ``wer``, ``peer_wer``, ``wer_ratio``, ``attribution``,
        ``peer_attribution``, ``der``, ``peer_der``, ``speakers_found``, ``rtf``, ``peer_rtf``,
        ``rtf_ratio``.
    info : dict
        ``peak_rss_mb`` and ``peer_peak_rss_mb`` (each system's process), ``cpu_cores``.
    """
    say = progress or (lambda text: None)
    with tempfile.TemporaryDirectory(prefix="attunement-bench-") as folder:
        jobs, truths = [], []
        for d in dialogues:
            say(f"synthesising {d.name}")
            samples, turns = synthesise(d, repeat=repeat)
            path = Path(folder) / f"{d.name}.wav"
            _write_wav(path, samples)
            jobs.append({"path": os.fspath(path), "speakers": speakers})
            truths.append((samples.size / RATE, turns))
        say("attunement transcribe_recording")
        ours = _run_in_process("attunement", jobs)
        say("faster-whisper directly")
        peers = _run_in_process("faster_whisper", jobs)
    rows = []
    pooled = {k: [0.0, 0] for k in ("wer", "peer_wer", "att", "peer_att")}
    pooled_time = [0.0, 0.0, 0.0]
    ders = []
    for d, (duration, turns), mine, peer in zip(dialogues, truths, ours, peers, strict=True):
        ref_words, ref_speakers = [], []
        for t in turns.itertuples(index=False):
            for token in normalise_words(t.text):
                ref_words.append(token)
                ref_speakers.append(int(t.speaker))
        reference = _reference_activity(turns.attrs["own"], int(duration * 100))
        row = {"dialogue": d.name, "pair": d.pair, "duration_s": round(duration, 1)}
        for key, result in (("", mine), ("peer_", peer)):
            hyp, hyp_speakers = _hyp_words(result["words"])
            wer, n_ref = word_error_rate(ref_words, hyp)
            att, n_aligned = attribution_accuracy(ref_words, ref_speakers, hyp, hyp_speakers)
            der = diarization_error_rate(reference, pd.DataFrame(result["words"]))
            row[f"{key}wer"] = wer
            row[f"{key}attribution"] = att
            row[f"{key}der"] = der
            row[f"{key}rtf"] = result["elapsed_s"] / duration
            pooled[f"{key}wer"][0] += wer * n_ref
            pooled[f"{key}wer"][1] += n_ref
            pooled[f"{key}att"][0] += att * n_aligned
            pooled[f"{key}att"][1] += n_aligned
        ders.append((row["der"], row["peer_der"], duration))
        row["speakers_found"] = mine["n_speakers"]
        pooled_time[0] += mine["elapsed_s"]
        pooled_time[1] += peer["elapsed_s"]
        pooled_time[2] += duration
        rows.append(row)
    total = pooled_time[2]
    rows.append(
        {
            "dialogue": "all",
            "pair": "",
            "duration_s": round(total, 1),
            "wer": pooled["wer"][0] / pooled["wer"][1],
            "peer_wer": pooled["peer_wer"][0] / pooled["peer_wer"][1],
            "attribution": pooled["att"][0] / pooled["att"][1],
            "peer_attribution": pooled["peer_att"][0] / pooled["peer_att"][1],
            "der": sum(a * t for a, _, t in ders) / total,
            "peer_der": sum(b * t for _, b, t in ders) / total,
            "speakers_found": np.nan,
            "rtf": pooled_time[0] / total,
            "peer_rtf": pooled_time[1] / total,
        }
    )
    table = pd.DataFrame(rows)
    table["wer_ratio"] = table["wer"] / table["peer_wer"]
    table["rtf_ratio"] = table["rtf"] / table["peer_rtf"]
    table = table[
        [
            "dialogue",
            "pair",
            "duration_s",
            "wer",
            "peer_wer",
            "wer_ratio",
            "attribution",
            "peer_attribution",
            "der",
            "peer_der",
            "speakers_found",
            "rtf",
            "peer_rtf",
            "rtf_ratio",
        ]
    ]
    info = {
        "peak_rss_mb": round(max(o["peak_rss_mb"] for o in ours), 1),
        "peer_peak_rss_mb": round(max(o["peak_rss_mb"] for o in peers), 1),
        "cpu_cores": len(os.sched_getaffinity(0)),
    }
    return table, info


# --- a real recording with a reference of who spoke when (RTTM) -------------------------------


_PEER_ROW = "faster-whisper directly (one person)"


def read_rttm(path: str | os.PathLike[str], n_frames: int) -> tuple[np.ndarray, list[str]]:
    """Reference activity (speakers x 10 ms frames) from an RTTM file's SPEAKER lines."""
    from attunement.io._common import read_bytes

    try:
        text = read_bytes(path, max_bytes=64 * 1024 * 1024, what="an RTTM file").decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError("is not UTF-8 text; expected an RTTM file", path=path) from None
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        parts = line.split()
        if parts[:1] != ["SPEAKER"]:
            continue
        try:
            rows.append((parts[7], float(parts[3]), float(parts[4])))
        except (IndexError, ValueError):
            raise InputError(
                f"is {line.strip()[:80]!r}; expected SPEAKER FILE CHANNEL START DURATION "
                "<NA> <NA> NAME ...",
                path=path,
                line=number,
            ) from None
    if not rows:
        raise InputError("has no SPEAKER line; expected an RTTM file", path=path)
    people = sorted({r[0] for r in rows})
    reference = np.zeros((len(people), n_frames), dtype=bool)
    for who, start, length in rows:
        a, b = int(start * 100), int(np.ceil((start + length) * 100))
        reference[people.index(who), max(a, 0) : min(b, n_frames)] = True
    return reference, people


def _word_attribution(reference: np.ndarray, words: pd.DataFrame) -> tuple[float, int]:
    """Share of words whose middle falls in exactly one reference speaker's speech that go to
    that speaker (labels mapped one to one), and how many words were scored."""
    labels = sorted(set(words["speaker"]))
    counts = np.zeros((reference.shape[0], max(len(labels), 1)))
    n = 0
    for w in words.itertuples(index=False):
        frame = min(int((w.start + w.end) * 50), reference.shape[1] - 1)
        active = np.flatnonzero(reference[:, frame])
        if active.size == 1:
            counts[active[0], labels.index(w.speaker)] += 1
            n += 1
    return (_best_mapping(counts) / n if n else float("nan")), n


def run_real_benchmark(
    wav: str | os.PathLike[str], rttm: str | os.PathLike[str], *, speakers: int | None = None
) -> pd.DataFrame:
    """Who spoke when on a real recording with an RTTM reference (no transcript: no WER).

    Returns
    -------
    pandas.DataFrame
        One row per system (attunement, its words as one person, faster-whisper directly as
        one person): ``system``, ``duration_s``, ``speakers_reference``, ``speakers_found``,
        ``der``, ``words_to_the_right_person``, ``words_scored``, ``rtf``.
    """
    job = [{"path": os.fspath(wav), "speakers": speakers}]
    (mine,) = _run_in_process("attunement", job)
    (peer,) = _run_in_process("faster_whisper", job)
    from attunement.io.recording import decode_recording

    duration = decode_recording(wav).duration_s
    reference, people = read_rttm(rttm, int(np.ceil(duration * 100)))
    ours = pd.DataFrame(mine["words"])
    rows = []
    for system, words, result in (
        ("attunement", ours, mine),
        ("attunement's words as one person", ours.assign(speaker="all"), None),
        (_PEER_ROW, pd.DataFrame(peer["words"]), peer),
    ):
        share, n = _word_attribution(reference, words)
        rows.append(
            {
                "system": system,
                "duration_s": round(duration, 1),
                "speakers_reference": len(people),
                "speakers_found": words["speaker"].nunique(),
                "der": diarization_error_rate(reference, words),
                # the peer's units are segments, not words
                "words_to_the_right_person": np.nan if system == _PEER_ROW else share,
                "words_scored": 0 if system == _PEER_ROW else n,
                "rtf": np.nan if result is None else result["elapsed_s"] / duration,
            }
        )
    return pd.DataFrame(rows)
