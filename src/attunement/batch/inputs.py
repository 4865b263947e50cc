"""What a batch works on: files, folders, globs and list files expanded into work items.

One :class:`WorkItem` is one session: a file and, for a file that holds several sessions (an
AnnoMI-style corpus CSV), the position of the session in it. The expansion is deterministic:

- inputs are taken in the order given; a folder is searched recursively with names sorted, a glob
  pattern's matches are sorted; an item met twice is kept where it is first met;
- in a folder, hidden names (``.``...) are skipped, and a folder that holds ``.toml`` session
  manifests contributes those manifests only (its other files belong to them), without searching
  its sub-folders (they may be unzipped wristband exports);
- other files are taken when their extension is one a transcript format claims, or ``.docx``;
- ``@FILE`` names a list file: one path, folder or glob per line, relative to the list file;
  blank lines and lines starting with ``#`` are ignored.

Files are not read here except to tell whether they hold several sessions: the first 64 KiB of
each file is looked at, and only a corpus CSV is read in full, once, for its transcript ids. A
forced transcript format decides instead (only ``annomi`` files are split), and a forced text
encoding is the one these looks decode with.
"""

from __future__ import annotations

import codecs
import glob
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from attunement.errors import InputError
from attunement.io import read_sessions
from attunement.io._common import read_text
from attunement.io._tables import csv_rows
from attunement.io.transcripts import FORMATS
from attunement.model import Session, Signal

__all__ = [
    "SessionLoader",
    "WorkItem",
    "check_reading",
    "expand_inputs",
    "pack_session",
    "unpack_session",
]

#: File extensions a folder search takes: every transcript format's, Word and manifests.
EXTENSIONS: frozenset[str] = frozenset(
    {ext for fmt in FORMATS.values() for ext in fmt.extensions} | {".docx", ".toml"}
)
#: Formats whose files may hold several sessions (one per transcript id).
_CORPUS_FORMAT = "annomi"
_PEEK_BYTES = 65536


@dataclass(frozen=True, slots=True)
class WorkItem:
    """One session to analyse.

    Parameters
    ----------
    path : pathlib.Path
        The source file (absolute): a transcript, a manifest or a corpus file.
    index : int
        Position of the session within the file (0 for a file with one session).
    transcript_id : str, optional
        The session's transcript id within a corpus file; None for a file with one session.
    n_in_file : int
        Number of sessions in the file.
    fingerprint : str
        Size and modification time of the file when listed; a changed file is analysed again
        on resume.
    """

    path: Path
    index: int = 0
    transcript_id: str | None = None
    n_in_file: int = 1
    fingerprint: str = ""

    @property
    def key(self) -> str:
        """Stable identity of the session across runs: the file, and the transcript id in it.

        Examples
        --------
        >>> WorkItem(Path("/data/annomi.csv"), 3, "12", 133).key
        '/data/annomi.csv#12'
        """
        base = self.path.as_posix()
        return base if self.transcript_id is None else f"{base}#{self.transcript_id}"

    @property
    def label(self) -> str:
        """The session id the reader gives, as far as it is known without reading the file.

        Used for a session that cannot be read: the file's stem, the folder of a
        ``session.toml``, or ``STEM-ID`` for a session of a corpus file.

        Examples
        --------
        >>> WorkItem(Path("/data/week6/session.toml")).label
        'week6'
        >>> WorkItem(Path("/data/annomi.csv"), 3, "12", 133).label
        'annomi-12'
        """
        if self.transcript_id is not None:
            return f"{self.path.stem}-{self.transcript_id}"
        if self.path.suffix.lower() == ".toml" and self.path.stem == "session":
            return self.path.parent.name or self.path.stem
        return self.path.stem


def _fingerprint(path: Path) -> str:
    st = path.stat()
    return f"{st.st_size}:{st.st_mtime_ns}"


def _lenient_text(data: bytes, encoding: str | None = None) -> str:
    """Bytes as text, leniently decoded (only for sniffing and listing; readers validate)."""
    if encoding is not None:
        return data.decode(encoding, errors="ignore").lstrip("\ufeff")
    encoding = "utf-8"
    for bom, name in (
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            encoding = name
            break
    return data.decode(encoding, errors="ignore").lstrip("\ufeff")


def check_reading(format: str | None, encoding: str | None) -> None:
    """Check a forced transcript format and text encoding before any file is read.

    Raises
    ------
    InputError
        For a format that is not one of ``attunement.io.transcripts.FORMATS`` or an encoding
        Python does not know.

    Examples
    --------
    >>> check_reading("vtt", "cp1252")
    >>> try:
    ...     check_reading(None, "klingon")
    ... except InputError as exc:
    ...     print(exc)
    encoding: unknown encoding 'klingon'; expected a name such as utf-8, utf-16 or cp1252
    """
    if format is not None and format not in FORMATS:
        raise InputError(
            f"unknown transcript format {format!r}; expected one of {', '.join(FORMATS)}",
            field="format",
        )
    if encoding is not None:
        try:  # decoding a byte also refuses codecs that are not text encodings (base64)
            b"x".decode(encoding, errors="ignore")
        except (LookupError, ValueError):
            raise InputError(
                f"unknown encoding {encoding!r}; expected a name such as utf-8, utf-16 or cp1252",
                field="encoding",
            ) from None


def _corpus_ids(
    path: Path, format: str | None = None, encoding: str | None = None
) -> list[str] | None:
    """Transcript ids of a corpus CSV in order of first appearance, or None when it is not one.

    Only the ``transcript_id`` column is read; a file that cannot be scanned is left whole to
    the reader, which then explains what is wrong with it. With a forced ``format``, only an
    ``annomi`` file is a corpus (without sniffing its content), as the reader will read it.
    """
    if path.suffix.lower() == ".docx" or format not in (None, _CORPUS_FORMAT):
        return None
    try:
        with path.open("rb") as fh:
            head = fh.read(_PEEK_BYTES)
            if format is None and not FORMATS[_CORPUS_FORMAT].sniff(_lenient_text(head, encoding)):
                return None
            data = head + fh.read()
    except OSError:
        return None
    try:
        rows = csv_rows(_lenient_text(data, encoding), path=path)
        _, header = next(rows)
        column = [c.strip().lower() for c in header].index("transcript_id")
        ids = dict.fromkeys(str(int(row[column].strip())) for _, row in rows)
    except (InputError, ValueError, IndexError, StopIteration):
        return None
    return list(ids)


def _items_of_file(
    path: Path, format: str | None = None, encoding: str | None = None
) -> Iterator[WorkItem]:
    path = path.resolve()
    fingerprint = _fingerprint(path)
    ids = _corpus_ids(path, format, encoding)
    if ids is None or len(ids) < 2:
        yield WorkItem(path, fingerprint=fingerprint)
        return
    for i, tid in enumerate(ids):
        yield WorkItem(path, i, tid, len(ids), fingerprint)


def _is_hidden(name: str) -> bool:
    return name.startswith(".")


def _search_folder(folder: Path, exclude: Sequence[Path]) -> Iterator[Path]:
    for root, dirs, files in os.walk(folder):
        here = Path(root)
        dirs[:] = sorted(
            d for d in dirs if not _is_hidden(d) and (here / d).resolve() not in exclude
        )
        files = sorted(f for f in files if not _is_hidden(f))
        manifests = [f for f in files if f.lower().endswith(".toml")]
        if manifests:
            dirs[:] = []
            files = manifests
        for name in files:
            if os.path.splitext(name)[1].lower() in EXTENSIONS and (here / name).is_file():
                yield here / name


def _expand_list(spec: str, exclude: Sequence[Path]) -> list[Path]:
    path = Path(spec[1:])
    text = read_text(path, what="a list of paths, one per line")
    found: list[Path] = []
    for line_no, line in enumerate(text.splitlines(), start=1):
        entry = line.strip()
        if entry and not entry.startswith("#"):
            try:
                found.extend(_expand_one(os.fspath(path.parent / entry), exclude))
            except InputError as exc:
                raise InputError(f"{entry!r} {exc.message}", path=path, line=line_no) from None
    return found


def _expand_one(spec: str, exclude: Sequence[Path]) -> list[Path]:
    p = Path(spec)
    if p.is_dir():
        found = list(_search_folder(p, exclude))
        if not found:
            raise InputError(
                "is a folder without transcripts or session manifests; expected files ending "
                f"in {', '.join(sorted(EXTENSIONS))}",
                path=spec,
            )
        return found
    if p.is_file():
        return [p]
    if glob.has_magic(spec):
        matches = sorted(glob.glob(spec, recursive=True))
        if not matches:
            raise InputError(
                "matches no file; expected a glob pattern that finds sessions", path=spec
            )
        out: list[Path] = []
        for match in matches:
            m = Path(match)
            if m.is_dir():
                out.extend(_search_folder(m, exclude))
            elif m.is_file() and not _is_hidden(m.name):
                out.append(m)
        return out
    raise InputError(
        "no such file or folder; expected a transcript, a session.toml manifest, a folder, a "
        "glob pattern or @LIST (a file listing them)",
        path=spec,
    )


def expand_inputs(
    inputs: Iterable[str | os.PathLike[str]],
    *,
    exclude: Iterable[str | os.PathLike[str]] = (),
    format: str | None = None,
    encoding: str | None = None,
) -> list[WorkItem]:
    """List the sessions of ``inputs``, in a deterministic order.

    Parameters
    ----------
    inputs : iterable of str or path-like
        Transcript files, ``session.toml`` manifests, corpus files (AnnoMI CSV), folders, glob
        patterns (``corpus/**/*.vtt``) and ``@FILE`` list files.
    exclude : iterable of path-like
        Folders that a folder search does not enter (the batch's output folder).
    format, encoding : str, optional
        The transcript format and text encoding the sessions will be read with (as
        :func:`attunement.read_sessions`): with a format, only ``annomi`` files are split into
        sessions; the encoding is used to list a corpus file's transcript ids.

    Returns
    -------
    list of WorkItem
        One per session: a corpus file gives one per transcript id, any other file one.

    Raises
    ------
    InputError
        When an input does not exist, a glob matches nothing, a folder holds no session or
        nothing at all is found, and as :func:`check_reading`.

    Examples
    --------
    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> _ = (d / "b.txt").write_text("Therapist: Hi.\\nClient: Hello.\\n")
    >>> _ = (d / "a.vtt").write_text("WEBVTT\\n")
    >>> [item.path.name for item in expand_inputs([d])]
    ['a.vtt', 'b.txt']
    """
    check_reading(format, encoding)
    excluded = [Path(e).resolve() for e in exclude]
    items: dict[str, WorkItem] = {}
    for raw in inputs:
        spec = os.fspath(raw)
        if spec.startswith("@"):
            paths = _expand_list(spec, excluded)
        else:
            paths = _expand_one(spec, excluded)
        for path in paths:
            for item in _items_of_file(path, format, encoding):
                items.setdefault(item.key, item)
    if not items:
        raise InputError("no session found; expected transcripts, manifests or folders")
    return list(items.values())


# --- sessions sent to workers ------------------------------------------------------------------


def pack_session(session: Session) -> dict[str, Any]:
    """A session as plain, picklable data (to send it to a worker process).

    Examples
    --------
    >>> from attunement.model import Utterance
    >>> s = Session("s1", (Utterance(0, "Client", "client", None, None, "Hi."),), meta={"a": 1})
    >>> unpack_session(pack_session(s)).meta["a"]
    1
    """
    return {
        "id": session.id,
        "utterances": session.utterances,
        "signals": [
            {
                "kind": sig.kind,
                "role": sig.role,
                "sampling_rate": sig.sampling_rate,
                "values": sig.values,
                "start": sig.start,
                "times": sig.times,
                "meta": dict(sig.meta),
            }
            for sig in session.signals
        ],
        "ratings": dict(session.ratings),
        "meta": dict(session.meta),
    }


def unpack_session(data: dict[str, Any]) -> Session:
    """The session :func:`pack_session` packed."""
    signals = tuple(Signal(**sig) for sig in data["signals"])
    return Session(data["id"], data["utterances"], signals, data["ratings"], data["meta"])


class SessionLoader:
    """Hands out the sessions of corpus files, reading each such file once.

    The items of one corpus file are consecutive in a batch, so only the current file's
    sessions are held. Items of other files need no loading (the worker reads them): their
    payload is None.
    """

    def __init__(
        self,
        *,
        therapist: str | Sequence[str] | None = None,
        client: str | Sequence[str] | None = None,
        keep_names: bool = False,
        format: str | None = None,
        encoding: str | None = None,
    ) -> None:
        self._options = {
            "therapist": therapist,
            "client": client,
            "keep_names": keep_names,
            "format": format,
            "encoding": encoding,
        }
        self._path: Path | None = None
        self._sessions: list[Session] | InputError = []

    def payload(self, item: WorkItem) -> dict[str, Any] | None:
        """The packed session of ``item``, or None when a worker reads the file itself.

        Raises
        ------
        InputError
            When the corpus file cannot be read or no longer holds the sessions listed.
        """
        if item.transcript_id is None:
            return None
        if self._path != item.path:
            self._path = item.path
            try:
                self._sessions = list(read_sessions(item.path, **self._options))
            except InputError as exc:
                self._sessions = exc
        if isinstance(self._sessions, InputError):
            raise self._sessions
        sessions = self._sessions
        if len(sessions) != item.n_in_file or sessions[item.index].id != item.label:
            raise InputError(
                f"changed while the batch ran (it holds {len(sessions)} sessions); expected "
                f"{item.n_in_file} with session {item.label!r} at position {item.index + 1}",
                path=item.path,
            )
        packed = pack_session(sessions[item.index])
        if item.index == item.n_in_file - 1:
            self._path, self._sessions = None, []
        return packed
