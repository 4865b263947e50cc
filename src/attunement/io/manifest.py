"""The session manifest ``session.toml``: one session's transcript, wearables and audio.

Example::

    id = "2026-03-02-week-6"            # optional; default: the manifest folder's name
    start = "2026-03-02T14:00:00+01:00" # optional: wall-clock time of transcript 0:00
    keep_names = false                  # optional

    [transcript]
    path = "transcript.vtt"             # relative to this file
    therapist = ["Dr Lee"]              # optional: a name or a list of names
    client = "Sam"                      # optional
    format = "vtt"                      # optional: forced format
    encoding = "utf-8"                  # optional: forced text encoding

    [[wearables]]
    role = "therapist"                  # therapist | client
    path = "therapist_e4.zip"           # an Empatica E4 export (zip or folder) or a signal CSV
    offset_s = 0.0                      # optional: seconds added to the device's clock
    simulated = false                   # optional: marks simulated data in every output
    # for a signal CSV: kind = "eda", sampling_rate = 4.0, start = 0.0 (as read_signal_csv)

    [audio]
    path = "session.wav"                # optional, kept for the prosody analysis

A recording alone is enough: without a ``[transcript]`` table, ``attunement analyze``
transcribes ``[audio]`` on this machine first (``pip install 'attunement[recordings]'``); the
recording's speakers are then described in ``[audio]`` itself::

    [audio]
    path = "session.m4a"                # WAV, FLAC, MP3, M4A, Ogg, or an MP4/MOV/MKV video;
                                        # or one file per person: ["dana.m4a", "sam.m4a"]
    speakers = 2                        # optional: how many people speak (default: estimated)
    names = ["Dr Lee", "Sam"]           # optional: in the order they are first heard
    therapist = "Dr Lee"                # optional: a name above, or "Speaker 1"
    client = "Sam"                      # optional
    language = "en"                     # optional
    channels = "auto"                   # optional: auto | split | mix (a stereo file)

Clock: session second 0 is transcript 0:00. Devices with a wall clock (E4) are placed with
``start``; without it, transcript 0:00 is taken to be the moment the first wearable started (a
warning says so). Signal CSVs with relative times are already on the session clock.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import warnings
from dataclasses import dataclass, replace
from pathlib import Path, PurePath
from typing import Any

from attunement.errors import AttunementWarning, InputError
from attunement.io._common import InMemoryFile, Source, parse_toml, read_bytes
from attunement.io.e4 import is_e4_container, read_e4
from attunement.io.signal_csv import read_signal_csv
from attunement.model import Signal

__all__ = [
    "Manifest",
    "RecordingEntry",
    "TranscriptEntry",
    "WearableEntry",
    "parse_start",
    "read_manifest",
    "read_wearable",
    "read_wearables",
    "wearable_format",
]

#: Signals whose start is above this are on a Unix wall clock, not the session clock.
UNIX_CLOCK_THRESHOLD = 1e8

_TOP_KEYS = {"id", "start", "keep_names", "transcript", "wearables", "audio"}
_TRANSCRIPT_KEYS = {"path", "therapist", "client", "format", "encoding"}
#: ``[audio]`` keys that describe a recording to transcribe (only without a ``[transcript]``).
_RECORDING_KEYS = {"speakers", "names", "therapist", "client", "language", "channels"}
_WEARABLE_KEYS = {
    "role",
    "path",
    "format",
    "offset_s",
    "simulated",
    "kind",
    "sampling_rate",
    "start",
}


@dataclass(frozen=True, slots=True)
class TranscriptEntry:
    """The ``[transcript]`` table, validated (``path`` may be an in-memory file)."""

    path: Path | InMemoryFile
    therapist: tuple[str, ...] = ()
    client: tuple[str, ...] = ()
    format: str | None = None
    encoding: str | None = None


@dataclass(frozen=True, slots=True)
class RecordingEntry:
    """What ``[audio]`` says about a recording to transcribe (a manifest without a transcript).

    ``names`` label the speakers in the order they are first heard (or of ``files``);
    ``therapist`` and ``client`` pick roles among those labels (``Speaker 1`` ... when
    ``names`` is empty). ``files``, when ``[audio] path`` lists several, holds one recording
    per person (the manifest's ``audio`` is then the first).
    """

    speakers: int | None = None
    names: tuple[str, ...] = ()
    therapist: tuple[str, ...] = ()
    client: tuple[str, ...] = ()
    language: str | None = "en"
    channels: str = "auto"
    files: tuple[Path | InMemoryFile, ...] = ()


@dataclass(frozen=True, slots=True)
class WearableEntry:
    """One ``[[wearables]]`` table, validated (``path`` may be an in-memory file)."""

    role: str
    path: Path | InMemoryFile
    format: str | None = None
    offset_s: float = 0.0
    simulated: bool = False
    kind: str | None = None
    sampling_rate: float | None = None
    start: float | None = None


@dataclass(frozen=True, slots=True)
class Manifest:
    """A validated manifest; paths are resolved against the manifest's folder.

    One can also be made in code, with :class:`~attunement.io._common.InMemoryFile` entries, to
    read a session whose files are held in memory (the web app's uploads): ``path`` then only
    names the session in messages.

    ``transcript`` is None when the session is its recording alone (``audio``, described by
    ``recording``), to be transcribed before it is read.
    """

    path: PurePath
    transcript: TranscriptEntry | None
    id: str | None = None
    start: float | None = None
    keep_names: bool = False
    wearables: tuple[WearableEntry, ...] = ()
    audio: Path | InMemoryFile | None = None
    recording: RecordingEntry | None = None


def _check_keys(table: dict[str, Any], allowed: set[str], where: str, path: Path) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise InputError(
            f"unknown key {unknown[0]!r}; expected one of {', '.join(sorted(allowed))}",
            path=path,
            field=where,
        )


def _get(
    table: dict[str, Any],
    key: str,
    types: type | tuple[type, ...],
    where: str,
    path: Path,
    *,
    required: bool = False,
    what: str = "",
) -> Any:
    if key not in table:
        if required:
            raise InputError(f"is missing; expected {what}", path=path, field=f"{where}{key}")
        return None
    value = table[key]
    if isinstance(value, bool) and bool not in (types if isinstance(types, tuple) else (types,)):
        raise InputError(f"is {value!r}; expected {what}", path=path, field=f"{where}{key}")
    if not isinstance(value, types):
        raise InputError(
            f"is {type(value).__name__} {value!r}; expected {what}",
            path=path,
            field=f"{where}{key}",
        )
    if isinstance(value, float) and not math.isfinite(value):
        # TOML writes nan and inf; no time, offset or rate can be either.
        raise InputError(
            f"is {value!r}; expected a finite number of {what}", path=path, field=f"{where}{key}"
        )
    return value


def _names(value: Any, field: str, path: Path) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise InputError(f"is {value!r}; expected a name or a list of names", path=path, field=field)


def _file(base: Path, value: str, field: str, path: Path) -> Path:
    target = (base / value).expanduser()
    if not target.exists():
        raise InputError(
            f"{value!r} does not exist (looked for {target}); expected a path relative to the "
            "manifest's folder",
            path=path,
            field=field,
        )
    return target


def parse_start(value: Any, path: PurePath | str | None = None) -> float:
    """The manifest's ``start``: an ISO 8601 time with a UTC offset, as Unix seconds.

    Examples
    --------
    >>> parse_start("2023-11-14T22:13:20Z")
    1700000000.0
    """
    if isinstance(value, dt.datetime):
        stamp = value
    elif isinstance(value, str):
        try:
            stamp = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise InputError(
                f"is {value!r}; expected an ISO 8601 time such as 2026-03-02T14:00:00+01:00",
                path=path,
                field="start",
            ) from None
    else:
        raise InputError(
            f"is {value!r}; expected an ISO 8601 time with a UTC offset", path=path, field="start"
        )
    if stamp.tzinfo is None:
        raise InputError(
            f"{value!s} has no time zone; expected a UTC offset such as +01:00 or Z",
            path=path,
            field="start",
        )
    return stamp.timestamp()


def read_manifest(path: str | os.PathLike[str]) -> Manifest:
    """Read and validate ``session.toml`` (nothing but the manifest itself is opened).

    Returns
    -------
    Manifest
        ``start`` is in Unix seconds; every path is resolved and known to exist.

    Raises
    ------
    InputError
        Not TOML, unknown or missing keys, wrong types, files that do not exist.
    """
    p = Path(path)
    raw = read_bytes(p, max_bytes=1024 * 1024)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError("is not UTF-8 text; expected a TOML session manifest", path=p) from None
    doc = parse_toml(text, path=p, what="a session manifest")
    _check_keys(doc, _TOP_KEYS, "(top level)", p)
    base = p.parent
    transcript = _get(doc, "transcript", dict, "", p, what="a [transcript] table with a path")
    if transcript is None and not isinstance(doc.get("audio"), dict):
        raise InputError(
            "is missing; expected a [transcript] table with a path (or an [audio] table with "
            "the recording to transcribe)",
            path=p,
            field="transcript",
        )
    tpath = None
    if transcript is not None:
        _check_keys(transcript, _TRANSCRIPT_KEYS, "transcript", p)
        tpath = _get(transcript, "path", str, "transcript.", p, required=True, what="a file path")
    entries: list[WearableEntry] = []
    wearables = _get(doc, "wearables", list, "", p, what="[[wearables]] tables") or []
    number = (int, float)
    for i, w in enumerate(wearables):
        where = f"wearables[{i}]."
        if not isinstance(w, dict):
            raise InputError(f"is {w!r}; expected a table", path=p, field=f"wearables[{i}]")
        _check_keys(w, _WEARABLE_KEYS, f"wearables[{i}]", p)
        role = _get(w, "role", str, where, p, required=True, what="'therapist' or 'client'")
        if role not in ("therapist", "client"):
            raise InputError(
                f"is {role!r}; expected 'therapist' or 'client'", path=p, field=f"{where}role"
            )
        fmt = _get(w, "format", str, where, p, what="'e4' or 'csv'")
        if fmt not in (None, "e4", "csv"):
            raise InputError(f"is {fmt!r}; expected 'e4' or 'csv'", path=p, field=f"{where}format")
        wpath = _get(w, "path", str, where, p, required=True, what="a file or folder path")
        entries.append(
            WearableEntry(
                role=role,
                path=_file(base, wpath, f"{where}path", p),
                format=fmt,
                offset_s=float(_get(w, "offset_s", number, where, p, what="seconds") or 0.0),
                simulated=bool(_get(w, "simulated", bool, where, p, what="true or false")),
                kind=_get(w, "kind", str, where, p, what="a signal kind"),
                sampling_rate=_get(w, "sampling_rate", number, where, p, what="Hz"),
                start=_get(w, "start", number, where, p, what="seconds"),
            )
        )
    audio_path, recording = None, None
    audio = _get(doc, "audio", dict, "", p, what="an [audio] table with a path")
    if audio is not None:
        if transcript is not None:
            extra = sorted(set(audio) & _RECORDING_KEYS)
            if extra:
                raise InputError(
                    f"describes a recording to transcribe, but the manifest has a "
                    f"[transcript]; expected {extra[0]!r} only without one (the transcript's "
                    "speakers are named under [transcript])",
                    path=p,
                    field=f"audio.{extra[0]}",
                )
        _check_keys(audio, {"path"} | _RECORDING_KEYS, "audio", p)
        files: tuple[Path, ...] = ()
        if transcript is None and isinstance(audio.get("path"), list):
            # one file per person (Zoom's separate audio files), to be transcribed together
            listed = _names(audio["path"], "audio.path", p)
            if not 2 <= len(listed) <= 8:
                raise InputError(
                    f"lists {len(listed)} file(s); expected one path, or 2 to 8 files, one "
                    "per person",
                    path=p,
                    field="audio.path",
                )
            files = tuple(_file(base, f, f"audio.path[{i}]", p) for i, f in enumerate(listed))
            audio_path = files[0]
        else:
            apath = _get(audio, "path", str, "audio.", p, required=True, what="a file path")
            audio_path = _file(base, apath, "audio.path", p)
        if transcript is None:
            recording = _recording(audio, p, files)
    return Manifest(
        path=p,
        id=_get(doc, "id", str, "", p, what="a text"),
        start=parse_start(doc["start"], p) if "start" in doc else None,
        keep_names=bool(_get(doc, "keep_names", bool, "", p, what="true or false")),
        transcript=None
        if transcript is None
        else TranscriptEntry(
            path=_file(base, tpath, "transcript.path", p),
            therapist=tuple(_names(transcript.get("therapist"), "transcript.therapist", p)),
            client=tuple(_names(transcript.get("client"), "transcript.client", p)),
            format=_get(transcript, "format", str, "transcript.", p, what="a format name"),
            encoding=_get(transcript, "encoding", str, "transcript.", p, what="an encoding"),
        ),
        wearables=tuple(entries),
        audio=audio_path,
        recording=recording,
    )


def _recording(audio: dict[str, Any], p: Path, files: tuple[Path, ...] = ()) -> RecordingEntry:
    """The ``[audio]`` keys of a recording to transcribe, checked."""
    speakers = _get(audio, "speakers", int, "audio.", p, what="a whole number of people (1-8)")
    if speakers is not None and not 1 <= speakers <= 8:
        raise InputError(f"is {speakers}; expected 1 to 8", path=p, field="audio.speakers")
    channels = _get(audio, "channels", str, "audio.", p, what="auto, split or mix") or "auto"
    if channels not in ("auto", "split", "mix"):
        raise InputError(
            f"is {channels!r}; expected auto, split or mix", path=p, field="audio.channels"
        )
    language = _get(audio, "language", str, "audio.", p, what="a language code such as en")
    return RecordingEntry(
        speakers=speakers,
        names=tuple(_names(audio.get("names"), "audio.names", p)),
        therapist=tuple(_names(audio.get("therapist"), "audio.therapist", p)),
        client=tuple(_names(audio.get("client"), "audio.client", p)),
        language=language or "en",
        channels=channels,
        files=files,
    )


def wearable_format(path: Source, format: str | None = None) -> str:
    """``format`` if given, else 'e4' for a folder or a zip (an Empatica export), else 'csv'.

    A folder or zip that is not a readable E4 export is still 'e4', so that its error says
    what is wrong with it (no E4 files, an unsafe member path, a damaged zip).
    """
    if format is not None:
        return format
    return "e4" if is_e4_container(path) else "csv"


def read_wearable(
    path: Source,
    *,
    role: str,
    format: str | None = None,
    kind: str | None = None,
    sampling_rate: float | None = None,
    start: float | None = None,
) -> tuple[tuple[Signal, ...], tuple[float, ...]]:
    """Read one person's wearable file on its own clock: an E4 export or a signal CSV.

    Returns
    -------
    signals : tuple of Signal
    tags : tuple of float
        Event-button presses (E4 only), on the same clock.
    """
    if wearable_format(path, format) == "e4":
        rec = read_e4(path, role=role)
        return rec.signals, rec.tags
    signals = read_signal_csv(path, kind=kind, role=role, sampling_rate=sampling_rate, start=start)
    return tuple(signals), ()


def read_wearables(
    manifest: Manifest,
) -> tuple[tuple[Signal, ...], list[dict[str, Any]], float | None]:
    """Read every wearable of a manifest and place it on the session clock.

    Returns
    -------
    signals : tuple of Signal
        On the session clock.
    events : list of dict
        Tag presses: ``{"time_s", "role", "label"}`` on the session clock.
    origin : float or None
        Unix time of session second 0, when wall-clock devices were placed.
    """
    signals: list[Signal] = []
    tags: list[tuple[float, str]] = []
    source: dict[tuple[str, str], int] = {}  # (role, kind) -> the wearable that gave it
    for i, w in enumerate(manifest.wearables):
        got, device_tags = read_wearable(
            w.path,
            role=w.role,
            format=w.format,
            kind=w.kind,
            sampling_rate=w.sampling_rate,
            start=w.start,
        )
        tags.extend((t + w.offset_s, w.role) for t in device_tags)
        for sig in got:
            first = source.setdefault((w.role, sig.kind), i)
            if first != i:
                raise InputError(
                    f"is {w.role!r}, and wearables[{first}] ({manifest.wearables[first].path.name})"
                    f" already gives the {w.role}'s {sig.kind.upper()}; expected one source of "
                    "each signal per person (is one of them the other person's?)",
                    path=manifest.path,
                    field=f"wearables[{i}].role",
                )
            signals.append(
                replace(sig.shifted(w.offset_s), meta={**sig.meta, "simulated": w.simulated})
            )
    worn = {w.role for w in manifest.wearables}
    if len(worn) == 1:
        (role,) = worn
        other = "client" if role == "therapist" else "therapist"
        warnings.warn(
            f"{manifest.path}: only the {role} wears a device (no wearables entry has role = "
            f"{other!r}), so there is no physiological synchrony to measure",
            AttunementWarning,
            stacklevel=2,
        )
    absolute = [s for s in signals if s.start > UNIX_CLOCK_THRESHOLD]
    origin = manifest.start
    if absolute and origin is None:
        origin = min(s.start for s in absolute)
        warnings.warn(
            f"{manifest.path}: no 'start' time is given, so transcript 0:00 is taken to be "
            f'the moment the first wearable started ({_iso(origin)}); add start = "..." to the '
            "manifest if the recording started at another time",
            AttunementWarning,
            stacklevel=2,
        )
    placed = tuple(s.shifted(-origin) if s.start > UNIX_CLOCK_THRESHOLD else s for s in signals)
    events = [
        {
            "time_s": t - origin if origin is not None and t > UNIX_CLOCK_THRESHOLD else t,
            "role": role,
            "label": "tag",
        }
        for t, role in tags
    ]
    return placed, events, origin


def _iso(unix: float) -> str:
    return dt.datetime.fromtimestamp(unix, tz=dt.UTC).isoformat(timespec="seconds")
