"""Who spoke each word of a one-microphone recording: voice activity, a voice print per word,
clustering.

1. **Voice activity**: Silero VAD (the ONNX model faster-whisper ships) splits the recording
   into runs of speech separated by at least 0.25 s of silence.
2. **Voice prints**: for every recognised word, the voice encoder's embedding
   (:mod:`~attunement.transcribe.voice`: a network trained on thousands of real voices) of up
   to 1.6 s around the word, kept inside the run of speech the word shares most time with, so
   that the window seldom reaches into the other person's turn. The MFCC statistics used
   before (mean and standard deviation of MFCC 1-19 over up to 1 s either side) remain as
   ``prints="mfcc"``; on real speech they gave a word to the wrong person three times as
   often (docs/recordings.md).
3. **How many**: unless given, the number of speakers is the position of the largest gap
   among the smallest eigenvalues of the normalised graph Laplacian of the prints' cosine
   affinities (the eigengap heuristic of spectral clustering; von Luxburg 2007), each word's
   affinities kept to its nearest :data:`VOICE_NEIGHBOURS` of the words (Park et al. 2019),
   from 1 to ``max_speakers``, over at most :data:`MAX_CLUSTERED` words evenly spread over
   the recording.
4. **Who**: k-means (10 starts) groups the prints into that many speakers; a linear
   discriminant is then fitted on those labels and relabels every word, refitted on its own
   labels until they settle (at most 10 rounds), which corrects many words at the edges of
   turns that the first pass got wrong.

Speaker 1 is the first voice heard.

References
----------
von Luxburg, U. (2007). A tutorial on spectral clustering. Statistics and Computing 17, 395-416.

Park, T. J., Han, K. J., Kumar, M., & Narayanan, S. (2019). Auto-tuning spectral clustering for
speaker diarization using normalized maximum eigengap. IEEE Signal Processing Letters 27,
381-385.

The encoder is Resemblyzer's, converted to ONNX and shipped (see ``models/NOTICE``): no
speaker-embedding package on PyPI runs offline without PyTorch (the others fetch their
weights at run time).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from attunement.io.recording import SAMPLING_RATE
from attunement.transcribe.asr import Word

__all__ = [
    "MAX_CLUSTERED",
    "PRINTS",
    "cluster_speakers",
    "diarize_words",
    "estimate_speakers",
    "mfcc_frames",
    "speech_runs",
    "word_prints",
    "word_windows",
]

#: Words whose affinities estimate the number of speakers (evenly spread over the recording).
MAX_CLUSTERED = 1500
_FRAME, _HOP, _NFFT, _NMELS, _NCEPS = 400, 160, 512, 40, 20
_FPS = SAMPLING_RATE // _HOP
_HALF_WINDOW_S = 1.0
_VAD_PIECE_S = 60.0
_MIN_WINDOW_S = 0.4
#: Voice embeddings: each word's affinities to all but its nearest 15% are set to 0 before the
#: eigengap (pruned affinities, as in Park et al. 2019): a speaker who says at least 15% of the
#: words then forms a block of their own, which the raw cosines of embeddings (all positive)
#: blur.
VOICE_NEIGHBOURS = 0.15
#: ... and never fewer than 10 neighbours (a short recording's words would fall apart into
#: as many groups as it has phrases).
_MIN_NEIGHBOURS = 10


def speech_runs(samples: np.ndarray, *, min_silence_s: float = 0.25) -> list[tuple[float, float]]:
    """Runs of speech (start, end) in seconds, by Silero VAD.

    Parameters
    ----------
    samples : numpy.ndarray
        float32 at 16 kHz, one channel.
    min_silence_s : float
        A pause at least this long separates two runs.
    """
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    options = VadOptions(min_silence_duration_ms=int(min_silence_s * 1000), speech_pad_ms=30)
    # a minute at a time: the model runs 10,000 windows (5 min) at once, for 300 MB
    step = int(_VAD_PIECE_S * SAMPLING_RATE)
    runs: list[tuple[float, float]] = []
    for i in range(0, samples.shape[0], step):
        offset = i / SAMPLING_RATE
        for t in get_speech_timestamps(samples[i : i + step], options):
            a, b = offset + t["start"] / SAMPLING_RATE, offset + t["end"] / SAMPLING_RATE
            if runs and a - runs[-1][1] < min_silence_s and i and abs(a - offset) < 0.1:
                runs[-1] = (runs[-1][0], b)  # a run cut by the piece's edge
            else:
                runs.append((a, b))
    return runs


def _mel_filters() -> np.ndarray:
    def mel(f):
        return 2595.0 * np.log10(1.0 + f / 700.0)

    edges = 700.0 * (10 ** (np.linspace(mel(60.0), mel(7600.0), _NMELS + 2) / 2595.0) - 1.0)
    bins = np.fft.rfftfreq(_NFFT, 1.0 / SAMPLING_RATE)
    lo, mid, hi = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    return np.maximum(0.0, np.minimum((bins - lo) / (mid - lo), (hi - bins) / (hi - mid))).astype(
        np.float32
    )


def mfcc_frames(samples: np.ndarray, *, chunk_s: float = 30.0) -> np.ndarray:
    """MFCC 1-19 of every 10 ms frame: shape (frames, 19), float32, frame ``i`` at ``i / 100``
    s. Computed 30 s at a time, so that an hour needs a few tens of MB."""
    from scipy.fft import dct

    n_frames = max(0, 1 + (samples.shape[0] - _FRAME) // _HOP)
    out = np.empty((n_frames, _NCEPS - 1), dtype=np.float32)
    window = np.hanning(_FRAME).astype(np.float32)
    filters = _mel_filters().T
    step = int(chunk_s * _FPS)
    offsets = np.arange(_FRAME)[None, :]
    for f0 in range(0, n_frames, step):
        f1 = min(n_frames, f0 + step)
        frames = samples[np.arange(f0, f1)[:, None] * _HOP + offsets] * window
        power = np.abs(np.fft.rfft(frames, _NFFT)) ** 2
        logmel = np.log(power.astype(np.float32) @ filters + 1e-8)
        out[f0:f1] = dct(logmel, axis=1, norm="ortho")[:, 1:_NCEPS]
    return out


def word_windows(
    words: Sequence[Word], runs: Sequence[tuple[float, float]], *, half_window_s: float
) -> list[tuple[float, float]]:
    """The stretch of speech each word's print is taken from: up to ``half_window_s`` either
    side of the word's middle, inside the run of speech the word shares most time with (at
    least :data:`_MIN_WINDOW_S` long)."""
    starts = np.array([r[0] for r in runs]) if runs else np.zeros(0)
    ends = np.array([r[1] for r in runs]) if runs else np.zeros(0)
    windows = []
    for w in words:
        mid = 0.5 * (w.start + w.end)
        a, b = mid - half_window_s, mid + half_window_s
        if starts.size:
            # the run the word shares most time with (Whisper's word ends often reach into
            # the pause after it), else the nearest one
            lo_k = max(int(np.searchsorted(ends, w.start, side="left")) - 1, 0)
            hi_k = min(int(np.searchsorted(starts, w.end, side="right")) + 1, starts.size)
            cand = np.arange(lo_k, hi_k)
            shared = np.minimum(ends[cand], w.end) - np.maximum(starts[cand], w.start)
            if shared.size and shared.max() > 0:
                k = int(cand[np.argmax(shared)])
            else:
                gaps = np.maximum(starts - mid, mid - ends)
                k = int(np.argmin(gaps))
            inside = (max(w.start, starts[k]), min(w.end, ends[k]))
            if inside[1] > inside[0]:
                mid = 0.5 * (inside[0] + inside[1])
            else:
                mid = min(max(mid, starts[k]), ends[k])
            a = max(mid - half_window_s, starts[k])
            b = min(mid + half_window_s, ends[k])
        if b - a < _MIN_WINDOW_S:
            a, b = mid - _MIN_WINDOW_S / 2, mid + _MIN_WINDOW_S / 2
        windows.append((a, b))
    return windows


def _mfcc_prints(samples: np.ndarray, windows: list[tuple[float, float]]) -> np.ndarray:
    mfcc = mfcc_frames(samples)
    prints = np.empty((len(windows), 2 * mfcc.shape[1]), dtype=np.float64)
    for i, (a, b) in enumerate(windows):
        lo = min(max(int(a * _FPS), 0), max(mfcc.shape[0] - 1, 0))
        hi = min(max(int(b * _FPS) + 1, lo + 1), mfcc.shape[0])
        frames = mfcc[lo:hi]
        prints[i, : mfcc.shape[1]] = frames.mean(axis=0)
        prints[i, mfcc.shape[1] :] = frames.std(axis=0)
    spread = prints.std(axis=0)
    spread[spread == 0] = 1.0
    return (prints - prints.mean(axis=0)) / spread


def _voice_prints(samples: np.ndarray, windows: list[tuple[float, float]]) -> np.ndarray:
    from attunement.transcribe.voice import embed_windows

    return embed_windows(samples, windows).astype(np.float64)


#: ``prints=``: how a word's voice is described: name -> (half window in s, the function, the
#: share of nearest neighbours kept in the affinities that estimate the number of speakers).
PRINTS = {
    "voice": (0.5 * 1.6, _voice_prints, VOICE_NEIGHBOURS),
    "mfcc": (_HALF_WINDOW_S, _mfcc_prints, None),
}


def word_prints(
    samples: np.ndarray,
    words: Sequence[Word],
    runs: Sequence[tuple[float, float]],
    *,
    prints: str = "voice",
) -> np.ndarray:
    """One voice print per word, see the module's description.

    ``prints="voice"`` (the default): the voice encoder's 256-dimensional embedding of up to
    1.6 s around the word (:mod:`attunement.transcribe.voice`), of unit length; ``"mfcc"``:
    the mean and standard deviation of MFCC 1-19 over up to 1 s either side, standardised
    (38 values).

    Raises
    ------
    InputError
        For an unknown ``prints``, listing the choices.
    """
    if prints not in PRINTS:
        from attunement.errors import InputError

        raise InputError(f"is {prints!r}; expected one of {', '.join(PRINTS)}", field="prints")
    half, make, _ = PRINTS[prints]
    return make(samples, word_windows(words, runs, half_window_s=half))


def estimate_speakers(
    prints: np.ndarray, *, max_speakers: int = 6, neighbours: float | None = None
) -> tuple[int, list[float]]:
    """How many voices the prints hold, by the largest gap between the smallest eigenvalues of
    the normalised Laplacian of their cosine affinities (negative cosines set to 0; with
    ``neighbours``, each print's affinities outside its nearest ``neighbours`` share set to 0
    too, then made symmetric).

    Returns
    -------
    n : int
        From 1 to ``max_speakers``.
    eigenvalues : list of float
        The ``max_speakers + 1`` smallest eigenvalues, rounded (for the method record).
    """
    n = prints.shape[0]
    if n < 4:
        return 1, []
    pick = np.unique(np.linspace(0, n - 1, min(n, MAX_CLUSTERED)).round().astype(int))
    unit = prints[pick] / np.maximum(np.linalg.norm(prints[pick], axis=1, keepdims=True), 1e-12)
    affinity = np.clip(unit @ unit.T, 0.0, None)
    if neighbours is not None:
        keep = min(len(pick), max(_MIN_NEIGHBOURS, int(np.ceil(neighbours * len(pick)))))
        floor = -np.sort(-affinity, axis=1)[:, keep - 1 : keep]
        affinity = np.where(affinity >= floor, affinity, 0.0)
        affinity = 0.5 * (affinity + affinity.T)
    degree = np.sqrt(affinity.sum(axis=1))
    laplacian = np.eye(len(pick)) - affinity / np.outer(degree, degree)
    top = min(max_speakers + 1, len(pick))
    values = np.sort(np.linalg.eigvalsh(laplacian))[:top]
    gaps = np.diff(values)
    return int(np.argmax(gaps)) + 1 if gaps.size else 1, [round(float(v), 4) for v in values]


def cluster_speakers(
    prints: np.ndarray,
    *,
    speakers: int | None = None,
    max_speakers: int = 6,
    neighbours: float | None = None,
) -> tuple[np.ndarray, dict]:
    """Group voice prints into speakers.

    Parameters
    ----------
    prints : numpy.ndarray
        (n, d) standardised prints, e.g. from :func:`word_prints`.
    speakers : int, optional
        How many people; estimated from 1 to ``max_speakers`` when None
        (:func:`estimate_speakers`).
    max_speakers : int
        The most speakers an estimate may find.
    neighbours : float, optional
        For the estimate (:func:`estimate_speakers`).

    Returns
    -------
    labels : numpy.ndarray
        (n,) int, 0 for the first voice heard, 1 for the next new one, ...
    info : dict
        ``eigenvalues`` (when estimated) and ``refits`` (rounds of the discriminant).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> a = rng.normal(0, 1, (60, 6)) + [3, 0, 0, 0, 0, 0]
    >>> b = rng.normal(0, 1, (60, 6)) - [3, 0, 0, 0, 0, 0]
    >>> labels, info = cluster_speakers(np.vstack([a, b]))
    >>> labels[:3], labels[-3:], int(labels.max()) + 1
    (array([0, 0, 0]), array([1, 1, 1]), 2)
    """
    from sklearn.cluster import KMeans
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

    n = prints.shape[0]
    info: dict = {}
    if speakers is None:
        speakers, info["eigenvalues"] = estimate_speakers(
            prints, max_speakers=max_speakers, neighbours=neighbours
        )
    if speakers == 1 or n < 4:
        return np.zeros(n, dtype=int), info
    k = min(speakers, n)
    labels = KMeans(n_clusters=k, n_init=10, random_state=0).fit_predict(prints)
    rounds = 0
    for rounds in range(1, 11):  # noqa: B007  (the count is recorded)
        if len(set(labels)) < 2:
            break
        new = LinearDiscriminantAnalysis().fit(prints, labels).predict(prints)
        if np.array_equal(new, labels):
            break
        labels = new
    info["refits"] = rounds
    return _by_first_appearance(labels), info


def _by_first_appearance(labels: np.ndarray) -> np.ndarray:
    order: dict[int, int] = {}
    for label in labels:
        order.setdefault(int(label), len(order))
    return np.array([order[int(x)] for x in labels], dtype=int)


def diarize_words(
    samples: np.ndarray,
    words: Sequence[Word],
    *,
    speakers: int | None = None,
    max_speakers: int = 6,
    runs: Sequence[tuple[float, float]] | None = None,
    prints: str = "voice",
) -> tuple[np.ndarray, dict]:
    """The speaker of every word of a one-channel recording.

    Parameters
    ----------
    samples : numpy.ndarray
        float32 at 16 kHz.
    words : sequence of Word
        The recognised words, on the clock of ``samples``.
    speakers : int, optional
        How many people speak; estimated when None.
    max_speakers : int
        The most an estimate may find.
    runs : sequence of (start, end), optional
        Runs of speech, when already found (:func:`speech_runs`).
    prints : {"voice", "mfcc"}
        How each word's voice is described (:func:`word_prints`).

    Returns
    -------
    labels : numpy.ndarray
        (len(words),) int, 0 = the first voice heard.
    info : dict
        ``n_speakers``, ``estimated`` (bool), and what :func:`cluster_speakers` says.
    """
    if runs is None:
        runs = speech_runs(samples)
    if not words:
        return np.zeros(0, dtype=int), {"n_speakers": 0, "estimated": speakers is None}
    found = word_prints(samples, words, runs, prints=prints)
    labels, info = cluster_speakers(
        found, speakers=speakers, max_speakers=max_speakers, neighbours=PRINTS[prints][2]
    )
    return labels, {
        "n_speakers": int(labels.max()) + 1 if labels.size else 0,
        "estimated": speakers is None,
        **info,
    }
