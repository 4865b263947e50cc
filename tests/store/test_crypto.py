"""Tests for attunement.store.crypto: AES-256-GCM tokens, key files, atomic encrypted files."""

from __future__ import annotations

import base64
import os
import stat
import threading
import warnings
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from attunement.errors import AttunementError, AttunementWarning, InputError
from attunement.store import crypto
from attunement.store.crypto import (
    CANARY_PLAINTEXT,
    KEY_BYTES,
    TOKEN_OVERHEAD,
    Cipher,
    KeyMismatchError,
    check_canary,
    cipher_from,
    generate_key,
    load_or_create_key,
    make_canary,
    read_encrypted,
    write_encrypted,
)

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
CIPHER = Cipher(generate_key())
OTHER = Cipher(generate_key(), source="key file /elsewhere/secret.key")


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# --- Cipher -----------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=4096))
def test_bytes_round_trip(data):
    token = CIPHER.encrypt(data)
    assert len(token) == len(data) + TOKEN_OVERHEAD
    assert CIPHER.decrypt(token) == data


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_text_round_trip(text):
    assert CIPHER.decrypt_text(CIPHER.encrypt_text(text)) == text


def test_same_plaintext_encrypts_differently():
    assert CIPHER.encrypt(b"same") != CIPHER.encrypt(b"same")


def test_token_does_not_contain_plaintext():
    assert b"confidential" not in CIPHER.encrypt(b"confidential" * 4)


def test_key_forms_are_equivalent():
    text = generate_key()
    raw = base64.urlsafe_b64decode(text)
    token = Cipher(raw).encrypt(b"x")
    assert Cipher(text).decrypt(token) == b"x"
    assert Cipher(text.decode()).decrypt(token) == b"x"
    assert Cipher(text + b"\n").decrypt(token) == b"x"
    assert Cipher(bytearray(raw)).decrypt(token) == b"x"


def test_fernet_key_is_accepted():
    from cryptography.fernet import Fernet

    Cipher(Fernet.generate_key()).encrypt(b"x")


@pytest.mark.parametrize(
    ("key", "match"),
    [
        (b"", "got 0 bytes"),
        (b"short", "got 5 bytes"),
        (bytes(range(31)), "got 31 bytes"),
        (bytes(range(33)), "got 33 bytes"),
        (base64.urlsafe_b64encode(bytes(range(16))), "got 24 bytes"),
        (b"!" * 44, "got 44 bytes"),
        ("not a key", "got 9 characters"),
        (12345, "is a int"),
    ],
)
def test_bad_key_is_input_error(key, match):
    with pytest.raises(InputError, match=match) as info:
        Cipher(key)
    assert info.value.field == "key"


def test_error_never_shows_the_key():
    almost = base64.urlsafe_b64encode(os.urandom(KEY_BYTES))[:-2]
    with pytest.raises(InputError) as info:
        Cipher(almost)
    assert almost.decode() not in str(info.value)
    key = generate_key()
    assert repr(Cipher(key, source="the key")) == "Cipher(source='the key')"
    assert key.decode() not in repr(Cipher(key))


def test_wrong_key_raises_key_mismatch_with_clear_message():
    token = CIPHER.encrypt(b"notes")
    with pytest.raises(KeyMismatchError) as info:
        OTHER.decrypt(token, what="file sessions/3/notes.enc")
    message = str(info.value)
    assert message.startswith("cannot decrypt file sessions/3/notes.enc: ")
    assert "key file /elsewhere/secret.key" in message
    assert "not the key this data was written with" in message
    assert isinstance(info.value, AttunementError)
    assert not isinstance(info.value, InputError)
    assert info.value.what == "file sessions/3/notes.enc"


def test_wrong_key_text():
    with pytest.raises(KeyMismatchError, match="cannot decrypt the note"):
        OTHER.decrypt_text(CIPHER.encrypt_text("é"), what="the note")


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=64), st.data())
def test_any_changed_byte_is_detected(data, draw):
    token = bytearray(CIPHER.encrypt(data))
    i = draw.draw(st.integers(0, len(token) - 1))
    flip = draw.draw(st.integers(1, 255))
    token[i] ^= flip
    with pytest.raises(KeyMismatchError, match="cannot decrypt data"):
        CIPHER.decrypt(bytes(token))


@pytest.mark.parametrize("cut", [0, 1, TOKEN_OVERHEAD - 1])
def test_truncated_token_is_detected(cut):
    token = CIPHER.encrypt(b"")[:cut]
    with pytest.raises(KeyMismatchError, match="truncated"):
        CIPHER.decrypt(token)


def test_truncated_by_one_byte_is_detected():
    token = CIPHER.encrypt(b"hello")
    with pytest.raises(KeyMismatchError):
        CIPHER.decrypt(token[:-1])
    with pytest.raises(KeyMismatchError):
        CIPHER.decrypt(token + b"\0")


def test_unknown_version_is_named():
    token = b"\x02" + CIPHER.encrypt(b"x")[1:]
    with pytest.raises(KeyMismatchError, match="format version is 0x02, expected 0x01"):
        CIPHER.decrypt(token)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: CIPHER.encrypt("text"), "use encrypt_text"),
        (lambda: CIPHER.decrypt("token"), "expected the bytes"),
        (lambda: CIPHER.encrypt_text(b"bytes"), "expected str"),
        (lambda: CIPHER.encrypt_text("\ud800"), "UTF-8"),
    ],
)
def test_wrong_argument_types(call, match):
    with pytest.raises(InputError, match=match):
        call()


def test_decrypt_text_of_binary_is_input_error():
    with pytest.raises(InputError, match="the blob was decrypted but is not UTF-8"):
        CIPHER.decrypt_text(CIPHER.encrypt(b"\xff\xfe"), what="the blob")


# --- key files --------------------------------------------------------------------------------


@posix_only
def test_key_file_created_private_and_reused(tmp_path):
    path = tmp_path / "data" / "secret.key"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        key = load_or_create_key(path)
        again = load_or_create_key(path)
    assert len(key) == KEY_BYTES
    assert again == key
    assert mode_of(path) == 0o600
    assert mode_of(path.parent) == 0o700
    assert base64.urlsafe_b64decode(path.read_bytes().strip()) == key
    assert path.read_bytes().endswith(b"\n")
    assert sorted(p.name for p in path.parent.iterdir()) == ["secret.key"]


@posix_only
def test_existing_parent_folder_is_left_alone(tmp_path):
    tmp_path.chmod(0o755)
    load_or_create_key(tmp_path / "secret.key")
    assert mode_of(tmp_path) == 0o755


def test_keys_differ_between_data_folders(tmp_path):
    assert load_or_create_key(tmp_path / "a.key") != load_or_create_key(tmp_path / "b.key")


def test_key_file_may_be_written_by_hand(tmp_path):
    text = generate_key()
    path = tmp_path / "secret.key"
    path.write_bytes(b"  " + text + b"\r\n")
    path.chmod(0o600)
    assert load_or_create_key(path) == base64.urlsafe_b64decode(text)


@posix_only
def test_wide_permissions_warn(tmp_path):
    path = tmp_path / "secret.key"
    load_or_create_key(path)
    path.chmod(0o644)
    with pytest.warns(AttunementWarning, match=r"secret.key: key file permissions are 0644"):
        load_or_create_key(path)


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"", "is empty"),
        (b"\n\n", "is empty"),
        (b"not a key\n", "holds 10 bytes"),
        (base64.urlsafe_b64encode(bytes(range(16))) + b"\n", "holds 25 bytes"),
        (bytes(range(200, 200 + KEY_BYTES)), "expected a key file"),
    ],
)
def test_bad_key_file_names_the_file(tmp_path, content, match):
    path = tmp_path / "secret.key"
    path.write_bytes(content)
    path.chmod(0o600)
    with pytest.raises(InputError, match=match) as info:
        load_or_create_key(path)
    assert info.value.path == str(path)
    assert "restore it from your backup" in str(info.value)
    assert path.read_bytes() == content  # never replaced


def test_key_file_that_is_a_folder(tmp_path):
    (tmp_path / "secret.key").mkdir()
    with pytest.raises(InputError, match="is a folder") as info:
        load_or_create_key(tmp_path / "secret.key")
    assert info.value.path == str(tmp_path / "secret.key")


def test_key_file_under_a_file(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(InputError, match="cannot be read") as info:
        load_or_create_key(tmp_path / "file" / "secret.key")
    assert info.value.path == str(tmp_path / "file" / "secret.key")


def test_encrypted_file_folder_cannot_be_created(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(InputError, match="cannot be created") as info:
        write_encrypted(tmp_path / "file" / "sub" / "x.enc", b"x", CIPHER)
    assert info.value.path == str(tmp_path / "file" / "sub")


def test_concurrent_creation_yields_one_key(tmp_path):
    path = tmp_path / "data" / "secret.key"
    n = 8
    barrier = threading.Barrier(n)
    keys: list[bytes] = []
    errors: list[BaseException] = []

    def worker():
        try:
            barrier.wait()
            keys.append(load_or_create_key(path))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(keys) == n
    assert len(set(keys)) == 1
    assert load_or_create_key(path) == keys[0]
    assert sorted(p.name for p in path.parent.iterdir()) == ["secret.key"]


def test_losing_the_race_takes_the_winners_key(tmp_path, monkeypatch):
    path = tmp_path / "secret.key"
    winner = generate_key()
    real_link = os.link

    def link_after_another_process(src, dst):
        Path(dst).write_bytes(winner + b"\n")
        Path(dst).chmod(0o600)
        real_link(src, dst)

    monkeypatch.setattr(crypto.os, "link", link_after_another_process)
    assert load_or_create_key(path) == base64.urlsafe_b64decode(winner)
    assert [p.name for p in tmp_path.iterdir()] == ["secret.key"]


@posix_only
def test_no_hard_links_falls_back_to_exclusive_create(tmp_path, monkeypatch):
    def no_link(src, dst):
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(crypto.os, "link", no_link)
    path = tmp_path / "secret.key"
    key = load_or_create_key(path)
    assert load_or_create_key(path) == key
    assert mode_of(path) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["secret.key"]


# --- cipher_from ------------------------------------------------------------------------------


def test_secret_setting_wins_over_key_file(tmp_path):
    secret = generate_key().decode()
    key_file = tmp_path / "secret.key"
    c = cipher_from(secret, key_file, secret_name="ATTUNEMENT_SECRET_KEY")
    assert c.source == "ATTUNEMENT_SECRET_KEY"
    assert not key_file.exists()
    assert Cipher(secret).decrypt(c.encrypt(b"x")) == b"x"


@pytest.mark.parametrize("secret", [None, "", "   "])
def test_key_file_used_when_no_secret(tmp_path, secret):
    key_file = tmp_path / "secret.key"
    c = cipher_from(secret, key_file)
    assert key_file.exists()
    assert c.source == f"key file {key_file}"
    assert cipher_from(None, key_file).decrypt(c.encrypt(b"x")) == b"x"


def test_bad_secret_names_the_setting_not_the_value(tmp_path):
    with pytest.raises(InputError, match="ATTUNEMENT_SECRET_KEY: is not a key") as info:
        cipher_from("hunter2-hunter2", tmp_path / "k", secret_name="ATTUNEMENT_SECRET_KEY")
    assert "hunter2" not in str(info.value)
    assert not (tmp_path / "k").exists()


def test_raw_bytes_as_secret_text_are_rejected(tmp_path):
    # 32 characters of text are not a key: the setting must hold the base64 form.
    with pytest.raises(InputError, match="got 32 characters"):
        cipher_from("x" * 32, tmp_path / "k")


def test_mismatch_message_names_the_key_file(tmp_path):
    token = CIPHER.encrypt(b"x")
    c = cipher_from(None, tmp_path / "secret.key")
    with pytest.raises(KeyMismatchError, match=r"key file .*secret\.key"):
        c.decrypt(token)


# --- encrypted files --------------------------------------------------------------------------


@posix_only
def test_write_and_read_encrypted(tmp_path):
    path = tmp_path / "sessions" / "3" / "notes.enc"
    write_encrypted(path, b"clinical notes", CIPHER)
    assert b"clinical" not in path.read_bytes()
    assert mode_of(path) == 0o600
    assert mode_of(path.parent) == 0o700
    assert read_encrypted(path, CIPHER) == b"clinical notes"
    write_encrypted(path, b"replaced", CIPHER)
    assert read_encrypted(path, CIPHER) == b"replaced"
    assert [p.name for p in path.parent.iterdir()] == ["notes.enc"]


def test_read_encrypted_with_wrong_key_names_the_file(tmp_path):
    path = tmp_path / "notes.enc"
    write_encrypted(path, b"x", CIPHER)
    with pytest.raises(KeyMismatchError, match=f"cannot decrypt file {path}:"):
        read_encrypted(path, OTHER)
    with pytest.raises(KeyMismatchError, match="cannot decrypt the audio of session 3:"):
        read_encrypted(path, OTHER, what="the audio of session 3")


def test_read_encrypted_tampered_file(tmp_path):
    path = tmp_path / "notes.enc"
    write_encrypted(path, b"abc", CIPHER)
    data = bytearray(path.read_bytes())
    data[-1] ^= 1
    path.write_bytes(bytes(data))
    with pytest.raises(KeyMismatchError):
        read_encrypted(path, CIPHER)


def test_read_encrypted_missing_file(tmp_path):
    with pytest.raises(InputError, match="does not exist") as info:
        read_encrypted(tmp_path / "gone.enc", CIPHER)
    assert info.value.path == str(tmp_path / "gone.enc")


def test_read_encrypted_folder(tmp_path):
    with pytest.raises(InputError, match="is a folder"):
        read_encrypted(tmp_path, CIPHER)


def test_failed_write_leaves_nothing_behind(tmp_path, monkeypatch):
    path = tmp_path / "notes.enc"
    write_encrypted(path, b"old", CIPHER)

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(crypto.os, "replace", broken_replace)
    with pytest.raises(OSError, match="No space left"):
        write_encrypted(path, b"new", CIPHER)
    monkeypatch.undo()
    assert [p.name for p in tmp_path.iterdir()] == ["notes.enc"]
    assert read_encrypted(path, CIPHER) == b"old"


def test_failed_write_while_writing_leaves_nothing(tmp_path, monkeypatch):
    def broken_fsync(fd):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(crypto.os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="Input/output error"):
        write_encrypted(tmp_path / "notes.enc", b"new", CIPHER)
    monkeypatch.undo()
    assert list(tmp_path.iterdir()) == []


def test_write_encrypted_rejects_text_before_touching_disk(tmp_path):
    with pytest.raises(InputError, match="use encrypt_text"):
        write_encrypted(tmp_path / "sub" / "x.enc", "text", CIPHER)
    assert list(tmp_path.iterdir()) == []


# --- canary -----------------------------------------------------------------------------------


def test_canary_passes_with_the_right_key(tmp_path):
    key_file = tmp_path / "secret.key"
    token = make_canary(cipher_from(None, key_file))
    assert CANARY_PLAINTEXT not in token
    check_canary(token, cipher_from(None, key_file))


def test_canary_fails_when_key_replaced(tmp_path):
    key_file = tmp_path / "secret.key"
    token = make_canary(cipher_from(None, key_file))
    key_file.unlink()
    with pytest.raises(KeyMismatchError, match="cannot decrypt the key check") as info:
        check_canary(token, cipher_from(None, key_file))
    assert f"key file {key_file}" in str(info.value)


def test_canary_with_other_plaintext_fails():
    with pytest.raises(KeyMismatchError, match="not to the expected text"):
        check_canary(CIPHER.encrypt(b"something else"), CIPHER)


def test_canary_tampered_fails():
    token = bytearray(make_canary(CIPHER))
    token[5] ^= 0x80
    with pytest.raises(KeyMismatchError):
        check_canary(bytes(token), CIPHER)
