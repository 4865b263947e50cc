"""Encryption at rest: one secret key per data folder, AES-256-GCM, atomic encrypted files.

Every stored session file and every sensitive database value is encrypted with one 256-bit key.
The key comes from a setting (an environment variable, as text) or, when none is given, from a key
file in the data folder that is created, readable by its owner only, the first time it is needed.
Without that key the data cannot be read: keep a copy of the key file somewhere safe.

Token format
------------
``encrypt`` returns ``version (1 byte, 0x01) || nonce (12 random bytes) || ciphertext || tag
(16 bytes)``: AES-256 in Galois/Counter Mode (NIST SP 800-38D) with the version byte as
associated data, so any change to any byte of a token, or a different key, fails authentication
and raises :class:`KeyMismatchError`; garbage is never returned. A token is 29 bytes longer than
its plaintext. Random 96-bit nonces keep one key safe for well over the 2**32 encryptions NIST
allows per key, far beyond what one data folder holds.

Key formats
-----------
A key is 32 random bytes. It is accepted raw (exactly 32 bytes) or as text: 44 characters of
URL-safe base64 with padding, which is what :func:`generate_key` makes, what a key file holds
(one line) and what a key setting must contain. A Fernet key has the same text form.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hmac
import os
import stat
import tempfile
import warnings
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from attunement.errors import AttunementError, AttunementWarning, InputError

__all__ = [
    "CANARY_PLAINTEXT",
    "KEY_BYTES",
    "TOKEN_OVERHEAD",
    "Cipher",
    "KeyMismatchError",
    "check_canary",
    "cipher_from",
    "generate_key",
    "load_or_create_key",
    "make_canary",
    "read_encrypted",
    "write_encrypted",
]

#: Length of a raw key in bytes (AES-256).
KEY_BYTES = 32
_VERSION = 1
_HEADER = bytes([_VERSION])
_NONCE_BYTES = 12
_TAG_BYTES = 16
#: How many bytes longer a token is than its plaintext.
TOKEN_OVERHEAD = len(_HEADER) + _NONCE_BYTES + _TAG_BYTES
#: The known plaintext of the key check stored when a data folder is created.
CANARY_PLAINTEXT = b"attunement key check v1"

_KEY_TEXT_HINT = (
    f"expected {KEY_BYTES} raw bytes or 44 characters of URL-safe base64 "
    "(as made by attunement.store.crypto.generate_key)"
)


class KeyMismatchError(AttunementError):
    """Data could not be decrypted: the key is not the one it was written with, or it was altered.

    Parameters
    ----------
    what : str
        What could not be decrypted, e.g. ``"file /data/sessions/3/audio.enc"``.
    source : str
        Where the key in use came from, e.g. ``"key file /data/secret.key"``.
    reason : str, optional
        Replaces the standard explanation (used for tokens of an unknown format).

    Attributes
    ----------
    what, source : str
        As given.
    """

    def __init__(self, what: str, source: str, reason: str | None = None) -> None:
        self.what = what
        self.source = source
        if reason is None:
            reason = (
                f"the key in use ({source}) is not the key this data was written with, "
                "or the data was changed after it was written"
            )
        super().__init__(
            f"cannot decrypt {what}: {reason}. Use the key file or key setting this data was "
            "created with; without that key the data cannot be read."
        )


def generate_key() -> bytes:
    """A new random key as 44 bytes of URL-safe base64 (the text form of a key).

    Returns
    -------
    bytes
        Suitable for :class:`Cipher`, for a key file and (decoded as ASCII) for a key setting.

    Examples
    --------
    >>> len(generate_key())
    44
    """
    return base64.urlsafe_b64encode(os.urandom(KEY_BYTES))


def _decode_key_text(text: bytes) -> bytes | None:
    """The raw key encoded by ``text`` (URL-safe or standard base64), or None if it is not one."""
    text = text.strip()
    try:
        raw = base64.b64decode(text, altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == KEY_BYTES else None


def _describe_length(key: bytes | str) -> str:
    unit = "characters" if isinstance(key, str) else "bytes"
    return f"got {len(key)} {unit}"


class Cipher:
    """Encrypts and decrypts with one AES-256-GCM key.

    Parameters
    ----------
    key : bytes or str
        32 raw bytes, or the key's text form: 44 characters of URL-safe base64.
    source : str, optional
        Where the key came from, named in :class:`KeyMismatchError` messages
        (e.g. ``"key file /data/secret.key"``). Default ``"the given key"``.

    Raises
    ------
    InputError
        When ``key`` is neither 32 bytes nor 44 characters of base64 encoding 32 bytes. The
        message never contains the key.

    Examples
    --------
    >>> c = Cipher(generate_key())
    >>> token = c.encrypt(b"session notes")
    >>> len(token) - len(b"session notes") == TOKEN_OVERHEAD
    True
    >>> c.decrypt(token)
    b'session notes'
    >>> Cipher(generate_key()).decrypt(token, what="the notes")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    attunement.store.crypto.KeyMismatchError: cannot decrypt the notes: the key in use ...
    """

    __slots__ = ("_aead", "_key", "source")

    def __init__(self, key: bytes | str, *, source: str = "the given key") -> None:
        if isinstance(key, str):
            raw = _decode_key_text(key.encode("ascii", "replace"))
        elif isinstance(key, bytes | bytearray | memoryview):
            key = bytes(key)
            raw = key if len(key) == KEY_BYTES else _decode_key_text(key)
        else:
            raise InputError(f"is a {type(key).__name__}; {_KEY_TEXT_HINT}", field="key")
        if raw is None:
            raise InputError(f"{_KEY_TEXT_HINT}; {_describe_length(key)}", field="key")
        self._aead = AESGCM(raw)
        self._key = raw
        self.source = source

    def subkey(self, purpose: str) -> bytes:
        """A 32-byte key for ``purpose``, derived from this key (HKDF-SHA256).

        Keys for different purposes are independent: knowing one tells nothing of the data key
        or of another.

        Examples
        --------
        >>> c = Cipher(b"k" * 32)
        >>> len(c.subkey("audit chain")), c.subkey("audit chain") == c.subkey("other")
        (32, False)
        """
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.kdf.hkdf import HKDF

        info = f"attunement {purpose}".encode()
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(self._key)

    def __repr__(self) -> str:
        return f"Cipher(source={self.source!r})"

    def encrypt(self, data: bytes) -> bytes:
        """Encrypt ``data`` under a fresh random nonce.

        Parameters
        ----------
        data : bytes
            Any bytes, empty included.

        Returns
        -------
        bytes
            The token (see the module docstring): ``TOKEN_OVERHEAD`` bytes longer than ``data``.

        Raises
        ------
        InputError
            When ``data`` is not bytes (use :meth:`encrypt_text` for text).
        """
        if not isinstance(data, bytes | bytearray | memoryview):
            raise InputError(
                f"is a {type(data).__name__}; expected bytes (use encrypt_text for text)",
                field="data",
            )
        nonce = os.urandom(_NONCE_BYTES)
        return _HEADER + nonce + self._aead.encrypt(nonce, bytes(data), _HEADER)

    def decrypt(self, token: bytes, *, what: str = "data") -> bytes:
        """Decrypt a token made by :meth:`encrypt` with the same key.

        Parameters
        ----------
        token : bytes
            As returned by :meth:`encrypt`.
        what : str, optional
            What the token is, for the error message (e.g. ``"file sessions/3/audio.enc"``).

        Returns
        -------
        bytes
            The plaintext.

        Raises
        ------
        KeyMismatchError
            When the key is not the one the token was made with, or any byte of the token was
            changed, or it is truncated or of an unknown format.
        InputError
            When ``token`` is not bytes.
        """
        if not isinstance(token, bytes | bytearray | memoryview):
            raise InputError(
                f"is a {type(token).__name__}; expected the bytes of an encrypted token",
                field="token",
            )
        token = bytes(token)
        if len(token) < TOKEN_OVERHEAD:
            raise KeyMismatchError(
                what,
                self.source,
                f"it is {len(token)} bytes long, shorter than any encrypted data "
                f"({TOKEN_OVERHEAD} bytes or more): it was truncated or is not encrypted data",
            )
        if token[0] != _VERSION:
            raise KeyMismatchError(
                what,
                self.source,
                f"its format version is {token[0]:#04x}, expected {_VERSION:#04x}: it was "
                "damaged, or it is not data this version of attunement encrypted",
            )
        nonce = token[1 : 1 + _NONCE_BYTES]
        try:
            return self._aead.decrypt(nonce, token[1 + _NONCE_BYTES :], _HEADER)
        except InvalidTag:
            raise KeyMismatchError(what, self.source) from None

    def encrypt_text(self, text: str) -> bytes:
        """Encrypt ``text`` as UTF-8; see :meth:`encrypt`.

        Raises
        ------
        InputError
            When ``text`` is not a str or cannot be encoded (a lone surrogate).
        """
        if not isinstance(text, str):
            raise InputError(f"is a {type(text).__name__}; expected str", field="text")
        try:
            data = text.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise InputError(
                f"cannot be encoded as UTF-8 at character {exc.start}", field="text"
            ) from None
        return self.encrypt(data)

    def decrypt_text(self, token: bytes, *, what: str = "data") -> str:
        """Decrypt a token made by :meth:`encrypt_text`; see :meth:`decrypt`.

        Raises
        ------
        KeyMismatchError
            As :meth:`decrypt`.
        InputError
            When the decrypted bytes are not UTF-8 (the token was made from bytes, not text).
        """
        data = self.decrypt(token, what=what)
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(
                f"{what} was decrypted but is not UTF-8 text (byte {exc.start}); "
                "expected data written with encrypt_text"
            ) from None


def _fsync_dir(folder: Path) -> None:
    """Make a rename or link in ``folder`` durable (POSIX; else a no-op)."""
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _make_private_dir(folder: Path) -> None:
    """Create ``folder`` (mode 0700) and its parents if missing."""
    if folder.is_dir():
        return
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(
            f"cannot be created ({exc.strerror}); expected a folder", path=folder
        ) from None


def _write_private_tmp(folder: Path, name: str, payload: bytes) -> str:
    """Write ``payload`` to a new 0600 temporary file in ``folder``, flushed to disk; its path."""
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            if hasattr(os, "fchmod"):
                os.fchmod(fh.fileno(), 0o600)
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return tmp


def _read_key_file(path: Path) -> tuple[bytes, int] | None:
    """The raw key in ``path`` and the file's permission bits, or None if there is no file."""
    try:
        content = path.read_bytes()
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise InputError("is a folder; expected a key file", path=path) from None
    except OSError as exc:
        raise InputError(
            f"cannot be read ({exc.strerror}); expected a key file", path=path
        ) from None
    raw = _decode_key_text(content)
    if raw is None:
        found = "is empty" if not content.strip() else f"holds {len(content)} bytes"
        raise InputError(
            f"{found}; expected a key file: one line of 44 characters of URL-safe base64 "
            f"({KEY_BYTES} bytes). If it was damaged or replaced, restore it from your backup: "
            "data encrypted with the original key cannot be read without it",
            path=path,
        )
    return raw, mode


def _create_key_file(path: Path) -> None:
    """Create ``path`` holding a new key, unless another process creates it first.

    The key is written to a 0600 temporary file in the same folder and hard-linked into place,
    so ``path`` never exists half-written and of two racing processes exactly one key wins.
    """
    _make_private_dir(path.parent)
    payload = generate_key() + b"\n"
    try:
        tmp = _write_private_tmp(path.parent, path.name, payload)
    except OSError as exc:
        raise InputError(
            f"cannot be created ({exc.strerror}); expected a key file", path=path
        ) from None
    try:
        try:
            os.link(tmp, path)
        except FileExistsError:
            return  # another process won the race: its key is the key
        except OSError:
            # The file system has no hard links: create the file exclusively instead.
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                return
            with os.fdopen(fd, "wb") as fh:
                fh.write(payload)
                fh.flush()
                os.fsync(fh.fileno())
    finally:
        Path(tmp).unlink(missing_ok=True)
    _fsync_dir(path.parent)


def load_or_create_key(path: Path) -> bytes:
    """Read the key in ``path``, creating the file with a new random key if it does not exist.

    A new key file is created readable by its owner only (mode 0600) from the start, complete or
    not at all, in a folder created with mode 0700 if missing. When several processes start at
    once, all of them end up with the same key.

    Parameters
    ----------
    path : pathlib.Path
        The key file: one line of 44 characters of URL-safe base64.

    Returns
    -------
    bytes
        The raw 32-byte key.

    Raises
    ------
    InputError
        Naming ``path``, when it exists but is not a key file (empty, wrong length, not base64),
        is a folder or cannot be read, or when it or its folder cannot be created.

    Warns
    -----
    AttunementWarning
        When the key file can be read or written by anyone but its owner (mode wider than 0600).
    """
    path = Path(path)
    found = _read_key_file(path)
    if found is None:
        _create_key_file(path)
        found = _read_key_file(path)
        if found is None:
            raise InputError(
                "disappeared right after it was created; expected a key file", path=path
            )
    raw, mode = found
    if os.name == "posix" and mode & 0o077:
        warnings.warn(
            f"{path}: key file permissions are {mode:04o}; expected 0600 so that only its owner "
            f"can read it (chmod 600 {path})",
            AttunementWarning,
            stacklevel=2,
        )
    return raw


def cipher_from(
    secret: str | None, key_file: Path, *, secret_name: str = "the secret key setting"
) -> Cipher:
    """The cipher for a data folder: a key given as text wins, else the key file.

    Parameters
    ----------
    secret : str or None
        The key's text form (44 characters of URL-safe base64), e.g. from a setting or an
        environment variable. None, or an empty or blank string, means not set.
    key_file : pathlib.Path
        Used when ``secret`` is not set; created on first use (see :func:`load_or_create_key`).
    secret_name : str, optional
        What ``secret`` is called where the user sets it (e.g. ``"ATTUNEMENT_SECRET_KEY"``),
        named in error messages.

    Returns
    -------
    Cipher
        Whose ``source`` names the setting or the key file.

    Raises
    ------
    InputError
        When ``secret`` is set but is not a key (the message names ``secret_name`` and never
        contains the value), or as :func:`load_or_create_key`.

    Examples
    --------
    >>> cipher_from(generate_key().decode(), Path("unused.key"), secret_name="MY_KEY")
    Cipher(source='MY_KEY')
    """
    if secret is not None and not isinstance(secret, str):
        raise InputError(f"is a {type(secret).__name__}; expected str or None", field=secret_name)
    if secret is not None and secret.strip():
        raw = _decode_key_text(secret.encode("ascii", "replace"))
        if raw is None:
            raise InputError(
                f"is not a key: expected 44 characters of URL-safe base64 (as made by "
                f"attunement.store.crypto.generate_key); got {len(secret.strip())} characters",
                field=secret_name,
            )
        return Cipher(raw, source=secret_name)
    key_file = Path(key_file)
    return Cipher(load_or_create_key(key_file), source=f"key file {key_file}")


def write_encrypted(path: Path, data: bytes, cipher: Cipher) -> None:
    """Encrypt ``data`` and write it to ``path`` atomically, readable by its owner only.

    The token is written to a 0600 temporary file in the same folder, flushed to disk and renamed
    over ``path``: a reader sees the old file or the new one, never a half-written one, and on any
    error the temporary file is removed. A missing folder is created with mode 0700.

    Parameters
    ----------
    path : pathlib.Path
        The file to write (replaced if it exists).
    data : bytes
        The plaintext.
    cipher : Cipher
        The data folder's cipher.

    Raises
    ------
    InputError
        When ``data`` is not bytes or the folder cannot be created.
    OSError
        When writing fails (disk full, permissions); nothing is left behind.
    """
    path = Path(path)
    token = cipher.encrypt(data)
    _make_private_dir(path.parent)
    tmp = _write_private_tmp(path.parent, path.name, token)
    try:
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def read_encrypted(path: Path, cipher: Cipher, *, what: str | None = None) -> bytes:
    """Read and decrypt a file written by :func:`write_encrypted`.

    Parameters
    ----------
    path : pathlib.Path
        The encrypted file.
    cipher : Cipher
        The data folder's cipher.
    what : str, optional
        What the file is, for error messages; default ``"file <path>"``.

    Returns
    -------
    bytes
        The plaintext.

    Raises
    ------
    InputError
        Naming ``path``, when it does not exist, is a folder or cannot be read.
    KeyMismatchError
        When the key is not the one the file was written with, or the file was altered.
    """
    path = Path(path)
    try:
        token = path.read_bytes()
    except FileNotFoundError:
        raise InputError("does not exist; expected an encrypted file", path=path) from None
    except IsADirectoryError:
        raise InputError("is a folder; expected an encrypted file", path=path) from None
    except OSError as exc:
        raise InputError(
            f"cannot be read ({exc.strerror}); expected an encrypted file", path=path
        ) from None
    return cipher.decrypt(token, what=what if what is not None else f"file {path}")


def make_canary(cipher: Cipher) -> bytes:
    """Encrypt the known key-check text; store the result once, when a data folder is created.

    Examples
    --------
    >>> c = Cipher(generate_key())
    >>> check_canary(make_canary(c), c)
    """
    return cipher.encrypt(CANARY_PLAINTEXT)


def check_canary(token: bytes, cipher: Cipher) -> None:
    """Check at start-up that ``cipher`` has the key the data folder was created with.

    Parameters
    ----------
    token : bytes
        As stored by :func:`make_canary` when the data folder was created.
    cipher : Cipher
        The cipher about to be used.

    Raises
    ------
    KeyMismatchError
        When the key was lost or replaced (or the stored check was altered), before any data is
        read or written with the wrong key.
    """
    what = "the key check stored when this data folder was created"
    plain = cipher.decrypt(token, what=what)
    if not hmac.compare_digest(plain, CANARY_PLAINTEXT):
        raise KeyMismatchError(
            what, cipher.source, "it decrypts, but not to the expected text: it was replaced"
        )
