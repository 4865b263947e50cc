"""A hash chain that makes the audit log tamper-evident.

Each audit entry stores the hash of the entry before it (``prev_hash``; :data:`GENESIS` for the
first) and its own ``hash``, the SHA-256 of ``prev_hash`` followed by the canonical JSON of its
fields. Changing, deleting, inserting or reordering entries anywhere breaks the chain from that
point, and :func:`verify_chain` reports where.

Keyed chains: with a ``key``, the hash is an HMAC-SHA256 under that key instead of a plain
SHA-256. Whoever can rewrite the whole table can recompute plain hashes, but not keyed ones
without the key, which the app keeps outside the database (derived from the data key). A log
may start plain and become keyed from one ``seq`` on (``keyed_from``: a log written before
keys were used goes on keyed).

Canonical form
--------------
The bytes hashed for an entry are ``prev_hash.encode("ascii") + canonical_json(fields)``, where
:func:`canonical_json` is ``json.dumps`` with sorted keys, no whitespace (``","`` and ``":"``),
``ensure_ascii=False``, encoded as UTF-8, after converting values:

- ``datetime.datetime`` -> ``"YYYY-MM-DDTHH:MM:SS.ffffffZ"`` in UTC, always with microseconds;
  an aware datetime is converted to UTC, a naive one is taken to be UTC already (how the
  database stores times), so an entry hashes the same before and after a database round trip;
- ``datetime.date`` -> ``"YYYY-MM-DD"``;
- str, int, bool, None and finite floats as JSON has them (note ``1`` and ``1.0`` differ);
- lists and tuples -> JSON arrays; mappings with str keys -> JSON objects, recursively.

Anything else (bytes, NaN, sets, other objects) raises :class:`~attunement.errors.InputError`.
The hashed fields must include ``seq``, an integer that grows by one per entry, and must not
include ``prev_hash`` or ``hash``.

The log itself
--------------
:class:`AuditLog` keeps the chain in the ``audit_log`` table: it appends (one writer at a time,
across server processes), lists the newest entries, and verifies the whole log, including that
no entries were deleted from its end (the last ``seq`` and hash written are kept apart, in the
``meta`` table).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import json
import math
import re
import threading
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session as DbSession

from attunement.errors import InputError
from attunement.store.base import now
from attunement.store.db import Database
from attunement.store.models import AuditEntry, MetaValue
from attunement.store.views import AuditEntryView, Viewer

__all__ = [
    "GENESIS",
    "AuditLog",
    "ChainCheck",
    "canonical_json",
    "chain_entry",
    "entry_hash",
    "verify_chain",
]

#: The ``prev_hash`` of the first entry of a log.
GENESIS = "0" * 64
_RESERVED = ("prev_hash", "hash")
_HEX64 = re.compile(r"[0-9a-f]{64}")


def _canonical_value(value: Any, where: str) -> Any:
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InputError(f"is {value}; expected a finite number", field=where)
        return value
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None and value.utcoffset() is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_canonical_value(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, Mapping):
        return _canonical_mapping(value, where)
    raise InputError(
        f"is a {type(value).__name__}; expected str, int, float, bool, None, datetime, date, "
        "list or mapping",
        field=where,
    )


def _canonical_mapping(fields: Mapping[str, Any], where: str | None) -> dict[str, Any]:
    out = {}
    for key, value in fields.items():
        if not isinstance(key, str):
            raise InputError(
                f"has a key of type {type(key).__name__} ({key!r}); expected str keys",
                field=where or "fields",
            )
        out[key] = _canonical_value(value, key if where is None else f"{where}.{key}")
    return out


def canonical_json(fields: Mapping[str, Any]) -> str:
    """The canonical JSON text of ``fields`` (see the module docstring).

    Parameters
    ----------
    fields : Mapping[str, Any]
        An entry's fields.

    Returns
    -------
    str
        Sorted keys, no whitespace, non-ASCII characters as they are, datetimes in UTC.

    Raises
    ------
    InputError
        Naming the field, for a value that has no canonical form.

    Examples
    --------
    >>> canonical_json({"b": "é", "a": dt.datetime(2024, 5, 1, 9, 30)})
    '{"a":"2024-05-01T09:30:00.000000Z","b":"é"}'
    >>> tz = dt.timezone(dt.timedelta(hours=2))
    >>> canonical_json({"a": dt.datetime(2024, 5, 1, 11, 30, tzinfo=tz)})
    '{"a":"2024-05-01T09:30:00.000000Z"}'
    """
    if not isinstance(fields, Mapping):
        raise InputError(f"is a {type(fields).__name__}; expected a mapping", field="fields")
    return json.dumps(
        _canonical_mapping(fields, None),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    )


def _check_hash(value: Any, field: str) -> str:
    if not isinstance(value, str) or not _HEX64.fullmatch(value):
        raise InputError(
            f"is {value!r}; expected 64 lowercase hexadecimal characters (a SHA-256)", field=field
        )
    return value


def entry_hash(prev_hash: str, fields: Mapping[str, Any], *, key: bytes | None = None) -> str:
    """The hash of an entry: SHA-256 of ``prev_hash`` and the canonical JSON of ``fields``,
    or their HMAC-SHA256 under ``key``.

    Parameters
    ----------
    prev_hash : str
        The previous entry's ``hash``, or :data:`GENESIS` for the first entry.
    fields : Mapping[str, Any]
        The entry's own fields (e.g. seq, at, user_id, username, action, target, detail, ip),
        without ``prev_hash`` and ``hash``.

    Returns
    -------
    str
        64 lowercase hexadecimal characters.

    Raises
    ------
    InputError
        When ``prev_hash`` is not 64 lowercase hex characters, ``fields`` contains ``prev_hash``
        or ``hash``, or a value has no canonical form.

    Examples
    --------
    >>> h = entry_hash(GENESIS, {"seq": 1, "action": "login"})
    >>> len(h), h == entry_hash(GENESIS, {"action": "login", "seq": 1})
    (64, True)
    >>> h == entry_hash(GENESIS, {"seq": 1, "action": "login"}, key=b"k" * 32)
    False
    """
    _check_hash(prev_hash, "prev_hash")
    if isinstance(fields, Mapping):
        for name in _RESERVED:
            if name in fields:
                raise InputError(
                    "is among the fields; expected only the entry's own fields, without "
                    "prev_hash and hash",
                    field=name,
                )
    message = prev_hash.encode("ascii") + canonical_json(fields).encode("utf-8")
    if key is not None:
        return hmac.new(key, message, hashlib.sha256).hexdigest()
    return hashlib.sha256(message).hexdigest()


def chain_entry(
    prev_hash: str, fields: Mapping[str, Any], *, key: bytes | None = None
) -> dict[str, Any]:
    """``fields`` with ``prev_hash`` and ``hash`` added: the next entry to append.

    Parameters
    ----------
    prev_hash : str
        The ``hash`` of the last entry in the log, or :data:`GENESIS` when it is empty.
    fields : Mapping[str, Any]
        As for :func:`entry_hash`; ``seq`` must be one more than the last entry's.

    Returns
    -------
    dict
        A copy of ``fields`` plus ``prev_hash`` and ``hash``.

    Examples
    --------
    >>> e1 = chain_entry(GENESIS, {"seq": 1, "action": "login"})
    >>> e2 = chain_entry(e1["hash"], {"seq": 2, "action": "logout"})
    >>> verify_chain([e1, e2]).ok
    True
    """
    return {**fields, "prev_hash": prev_hash, "hash": entry_hash(prev_hash, fields, key=key)}


@dataclass(frozen=True, slots=True)
class ChainCheck:
    """The outcome of :func:`verify_chain`.

    Attributes
    ----------
    ok : bool
        True when every entry links to the one before it and matches its contents.
    n_entries : int
        How many entries verified (all of them when ``ok``; those before the first bad one
        otherwise).
    first_bad_seq : int or None
        The ``seq`` of the first entry found wrong; when the sequence itself is broken (a gap,
        a repeat, entries out of order), the ``seq`` that was expected at that point (for a
        gap, the first missing one). None when ``ok`` or when the bad entry has no usable
        ``seq``.
    reason : str
        What is wrong, e.g. ``"entry 12: hash does not match its contents"``; ``""`` when ``ok``.
    head : str
        The ``hash`` of the last entry that verified (:data:`GENESIS`, or the ``prev_hash``
        given, when none did): what the next entry's ``prev_hash`` must be.
    """

    ok: bool
    n_entries: int
    first_bad_seq: int | None
    reason: str
    head: str


def verify_chain(
    entries: Iterable[Mapping[str, Any]],
    *,
    fields: Collection[str] | None = None,
    prev_hash: str = GENESIS,
    key: bytes | None = None,
    keyed_from: int = 1,
) -> ChainCheck:
    """Check a hash-chained log, entry by entry, stopping at the first problem.

    Reads ``entries`` once, holding one entry at a time, so a log of any length can be streamed
    from the database (order the query by ``seq``).

    Parameters
    ----------
    entries : Iterable[Mapping[str, Any]]
        The log in ``seq`` order; each entry holds its fields plus ``prev_hash`` and ``hash``.
    fields : Collection[str], optional
        The names of the hashed fields, when entries carry other keys too (a row's extra
        columns); each must be present in every entry and ``"seq"`` must be among them.
        Default: every key except ``prev_hash`` and ``hash``.
    prev_hash : str, optional
        The ``prev_hash`` the first entry must have: :data:`GENESIS` for a whole log, or the
        known ``hash`` of the entry before the first one given, to check the tail of a log.
    key : bytes, optional
        The chain's key: entries from ``seq`` ``keyed_from`` on are HMACs under it.
    keyed_from : int
        The first keyed entry (entries before it are plain SHA-256); only with ``key``.

    Returns
    -------
    ChainCheck
        ``ok``, ``n_entries``, ``first_bad_seq``, ``reason`` and ``head``. The reasons are:
        ``"entry N: hash does not match its contents"`` (a field or the hash was changed),
        ``"entry N: prev_hash does not link to entry M"`` (an entry before it was changed,
        deleted or moved), ``"entry N: prev_hash does not link to the start of the log"``,
        ``"sequence gap after M: next entry is N"`` (entries deleted or moved),
        ``"entry N follows entry M: sequence out of order"`` (entries repeated or moved), and
        for entries without a usable ``seq``, ``hash`` or ``prev_hash``, a reason naming the
        field.

    Raises
    ------
    InputError
        When an entry is not a mapping, a value has no canonical form (see the module
        docstring), ``fields`` lacks ``"seq"`` or names ``prev_hash``/``hash``, or ``prev_hash``
        is not a SHA-256.

    Examples
    --------
    >>> log, head = [], GENESIS
    >>> for seq, action in enumerate(["login", "view", "logout"], start=1):
    ...     log.append(chain_entry(head, {"seq": seq, "action": action}))
    ...     head = log[-1]["hash"]
    >>> verify_chain(log).ok
    True
    >>> log[1]["action"] = "export"
    >>> check = verify_chain(log)
    >>> check.ok, check.first_bad_seq, check.reason
    (False, 2, 'entry 2: hash does not match its contents')
    """
    _check_hash(prev_hash, "prev_hash")
    names: tuple[str, ...] | None = None
    if fields is not None:
        names = tuple(fields)
        if "seq" not in names:
            raise InputError("does not include 'seq'; expected the hashed fields", field="fields")
        for name in _RESERVED:
            if name in names:
                raise InputError(
                    f"includes {name!r}; expected the hashed fields only", field="fields"
                )

    head = prev_hash
    last_seq: int | None = None
    n = 0

    def bad(seq: int | None, reason: str) -> ChainCheck:
        return ChainCheck(False, n, seq, reason, head)

    for position, entry in enumerate(entries, start=1):
        if not isinstance(entry, Mapping):
            raise InputError(
                f"is a {type(entry).__name__}; expected a mapping of fields",
                field=f"entry at position {position}",
            )
        label = f"entry at position {position}"
        seq = entry.get("seq")
        if not isinstance(seq, int) or isinstance(seq, bool):
            return bad(None, f"{label}: seq is {seq!r}; expected an integer")
        label = f"entry {seq}"
        if last_seq is not None and seq != last_seq + 1:
            if seq > last_seq:
                return bad(last_seq + 1, f"sequence gap after {last_seq}: next entry is {seq}")
            return bad(last_seq + 1, f"entry {seq} follows entry {last_seq}: sequence out of order")
        stored_prev = entry.get("prev_hash")
        stored_hash = entry.get("hash")
        if stored_prev != head:
            if last_seq is None and head == GENESIS:
                return bad(seq, f"{label}: prev_hash does not link to the start of the log")
            if last_seq is None:
                return bad(seq, f"{label}: prev_hash does not link to the given prev_hash")
            return bad(seq, f"{label}: prev_hash does not link to entry {last_seq}")
        if not isinstance(stored_hash, str) or not _HEX64.fullmatch(stored_hash):
            return bad(seq, f"{label}: hash is {stored_hash!r}; expected a SHA-256 in hex")
        if names is None:
            own = {k: v for k, v in entry.items() if k not in _RESERVED}
        else:
            missing = [name for name in names if name not in entry]
            if missing:
                return bad(seq, f"{label}: field {missing[0]!r} is missing")
            own = {name: entry[name] for name in names}
        keyed = key if key is not None and seq >= keyed_from else None
        if not hmac.compare_digest(entry_hash(head, own, key=keyed), stored_hash):
            return bad(seq, f"{label}: hash does not match its contents")
        head = stored_hash
        last_seq = seq
        n += 1
    return ChainCheck(True, n, None, "", head)


# ---- the log in the database ------------------------------------------------------------------
#: The hashed fields of an entry (its row's columns but the two hashes).
ENTRY_FIELDS: tuple[str, ...] = (
    "seq",
    "at",
    "user_id",
    "username",
    "action",
    "target",
    "detail",
    "ip",
)


def _entry(e: AuditEntry) -> dict[str, Any]:
    return {name: getattr(e, name) for name in (*ENTRY_FIELDS, "prev_hash", "hash")}


class AuditLog:
    """The hash-chained audit log of a database.

    Parameters
    ----------
    db : Database
        Migrated.
    key : bytes or None
        The chain's key (entries are HMAC-SHA256 under it; None writes plain SHA-256 entries,
        as logs written before keys were used have).
    """

    def __init__(self, db: Database, key: bytes | None) -> None:
        self.db = db
        self._key = key
        self._lock = threading.Lock()

    def prepare(self, s: DbSession) -> None:
        """Mark where a data dir's log stands, the first time this code opens it.

        Keeps the head (last seq and hash) when it is not kept yet, and from which entry on
        the chain is keyed: a log written before the chain was keyed goes on keyed from its
        next entry.

        Parameters
        ----------
        s : sqlalchemy.orm.Session
            In a transaction.
        """
        last = s.execute(
            select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc())
        ).first()
        if s.get(MetaValue, "audit_head") is None:
            head = f"{last.seq}:{last.hash}" if last else f"0:{GENESIS}"
            s.add(MetaValue(key="audit_head", value=head.encode("ascii")))
        if s.get(MetaValue, "audit_keyed_from") is None:
            first = b"1" if last is None else str(last.seq + 1).encode("ascii")
            s.add(MetaValue(key="audit_keyed_from", value=first))

    def audit(
        self,
        action: str,
        *,
        viewer: Viewer | None = None,
        target: str = "",
        detail: str = "",
        ip: str = "",
    ) -> None:
        """Append one entry to the log.

        Parameters
        ----------
        action : str
            What was done (``login``, ``view``, ``export``, ...).
        viewer : Viewer, optional
            Who did it (None: someone not signed in, or a command).
        target : str
            What it was done to (at most 128 characters are kept).
        detail : str
        ip : str
            From where (at most 64 characters are kept).
        """
        with self._lock, self.db.transaction() as s:
            # Take the write lock first (a no-op update of the head row: a row lock on
            # PostgreSQL, the database's write lock on SQLite), so that appends from several
            # server processes queue up instead of forking the chain.
            s.execute(
                update(MetaValue).where(MetaValue.key == "audit_head").values(value=MetaValue.value)
            )
            head = s.execute(
                select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)
            ).first()
            seq = 1 if head is None else head.seq + 1
            prev = GENESIS if head is None else head.hash
            fields = {
                "seq": seq,
                "at": now(),
                "user_id": viewer.id if viewer else None,
                "username": viewer.username if viewer else "",
                "action": action,
                "target": target[:128],
                "detail": detail,
                "ip": ip[:64],
            }
            digest = entry_hash(prev, fields, key=self._key)
            s.add(AuditEntry(**fields, prev_hash=prev, hash=digest))
            # The head (last seq and hash) is kept apart too, so that deleting the newest entries
            # — which leaves a valid, shorter chain — is detected by verify_audit.
            head_row = s.get(MetaValue, "audit_head")
            value = f"{seq}:{digest}".encode("ascii")
            if head_row is None:
                s.add(MetaValue(key="audit_head", value=value))
            else:
                head_row.value = value

    def audit_entries(self, *, limit: int | None = None) -> list[AuditEntryView]:
        """The newest entries first.

        Parameters
        ----------
        limit : int, optional
            At most this many (default: all).

        Returns
        -------
        list of AuditEntryView
        """
        with self.db.sessions() as s:
            q = select(AuditEntry).order_by(AuditEntry.seq.desc())
            if limit:
                q = q.limit(limit)
            return [AuditEntryView(**_entry(e)) for e in s.scalars(q)]

    def _oldest_first(self) -> Iterator[dict[str, Any]]:
        """Every entry, oldest first, read in pages (constant memory)."""
        last = 0
        while True:
            with self.db.sessions() as s:
                page = s.scalars(
                    select(AuditEntry)
                    .where(AuditEntry.seq > last)
                    .order_by(AuditEntry.seq)
                    .limit(1000)
                ).all()
            if not page:
                return
            for e in page:
                yield _entry(e)
            last = page[-1].seq

    def verify_audit(self) -> ChainCheck:
        """Check the whole chain, oldest first, and that its last entry is the last one written.

        Returns
        -------
        ChainCheck
            As :func:`verify_chain`; not ``ok`` too when entries at the end were deleted.
        """
        with self.db.sessions() as s:
            keyed = s.get(MetaValue, "audit_keyed_from")
        keyed_from = int(keyed.value.decode("ascii")) if keyed is not None else 1
        check = verify_chain(self._oldest_first(), key=self._key, keyed_from=keyed_from)
        if not check.ok:
            return check
        with self.db.sessions() as s:
            row = s.get(MetaValue, "audit_head")
        if row is None:
            return check
        seq, _, digest = row.value.decode("ascii").partition(":")
        if digest != check.head:
            return dataclasses.replace(
                check,
                ok=False,
                first_bad_seq=check.n_entries + 1,
                reason=f"the log ends at entry {check.n_entries}, but entry {seq} was the last "
                "one written: entries at the end were deleted",
            )
        return check
