"""One server per data dir: a second process is refused, and a dead one never blocks."""

import os
import signal
import subprocess
import sys

import pytest

from attunement.errors import InputError
from attunement.store.lock import LOCK_FILE, ServerLock

HOLD = """
import sys, time
from attunement.store.lock import ServerLock
ServerLock(sys.argv[1]).acquire()
print("held", flush=True)
time.sleep(60)
"""


def holder(folder):
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(folder)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_a_second_process_is_refused_naming_the_first(tmp_path):
    proc = holder(tmp_path)
    try:
        with pytest.raises(InputError, match="another attunement server") as info:
            ServerLock(tmp_path).acquire()
        assert f"process {proc.pid}, started " in str(info.value)
        assert str(tmp_path) in str(info.value)
    finally:
        proc.kill()
        proc.wait()


def test_a_killed_server_leaves_nothing_that_blocks(tmp_path):
    proc = holder(tmp_path)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert (tmp_path / LOCK_FILE).exists()  # the file stays; the lock went with the process
    with ServerLock(tmp_path) as lock:
        assert f"process {os.getpid()}" in lock.path.read_text()
    assert oct((tmp_path / LOCK_FILE).stat().st_mode & 0o777) == "0o600"


def test_released_locks_can_be_taken_again(tmp_path):
    ServerLock(tmp_path).acquire().release()
    proc = holder(tmp_path)  # another process takes it once this one let go
    proc.kill()
    proc.wait()


def test_serve_refuses_a_data_dir_in_use(tmp_path, run_cli, monkeypatch):
    data = tmp_path / "data"
    data.mkdir()
    proc = holder(data)
    started = []
    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: started.append(1))
    try:
        code, _, err = run_cli("serve", "--data-dir", data)
    finally:
        proc.kill()
        proc.wait()
    assert code == 1 and not started
    assert "another attunement server is using this data dir" in err
    assert "Traceback" not in err
    # the lock is free again: the same command now reaches the server
    code, _, err = run_cli("serve", "--data-dir", data)
    assert code == 0, err
    assert started == [1]
