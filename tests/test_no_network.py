"""No network at run time: `attunement demo` (transcript, simulated wristbands, the transformer
coder, the EPITOME coders, the report) and `attunement serve` (sign-in, an upload with both
wristbands, its analysis in the background, the session page) make no connection and send
nothing to any address but loopback, watched by strace at the system-call level, so a
library's own DNS lookup (e.g. a telemetry endpoint in native code) is caught too."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

STRACE = shutil.which("strace")


def _traceable() -> bool:
    """Whether strace may trace here (a container can forbid ptrace)."""
    if not STRACE:
        return False
    try:
        done = subprocess.run([STRACE, "-qq", "-o", os.devnull, "true"], timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


#: A connect/sendto/sendmsg to an internet address (v4 or v6), and what is allowed: loopback.
_INET = re.compile(r"(connect|sendto|sendmsg)\(.*sa_family=AF_INET6?\b.*")
_LOOPBACK = re.compile(r'inet_addr\("127\.|inet_pton\(AF_INET6, "::1"|"::ffff:127\.')


def outbound(trace: str) -> list[str]:
    """The traced calls that reach beyond loopback."""
    return [
        line for line in trace.splitlines() if _INET.search(line) and not _LOOPBACK.search(line)
    ]


def test_outbound_keeps_internet_addresses_only():
    dns = (
        '12 connect(3, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("10.0.0.53")}'
        ", 16) = 0"
    )
    local = (
        '9 connect(5, {sa_family=AF_INET, sin_port=htons(8000), sin_addr=inet_addr("127.0.0.1")}'
        ", 16) = 0"
    )
    unix = '9 connect(3, {sa_family=AF_UNIX, sun_path="/var/run/nscd/socket"}, 110) = -1'
    assert outbound("\n".join([dns, local, unix])) == [dns]


def test_the_outbound_check_sees_a_dns_lookup(tmp_path):
    if not _traceable():
        pytest.skip("strace is not installed or may not trace here")
    log = tmp_path / "trace.txt"
    code = (
        "import socket\ntry:\n    socket.getaddrinfo('example.com', 80)\nexcept OSError:\n    pass"
    )
    subprocess.run(
        [STRACE, "-f", "-qq", "-e", "trace=connect,sendto,sendmsg", "-o", str(log),
         sys.executable, "-c", code],
        check=True, timeout=60,
    )  # fmt: skip
    if "sa_family=AF_INET" not in log.read_text():
        pytest.skip("this machine resolves names without a network socket (e.g. no resolver)")
    assert outbound(log.read_text())


def _need_strace() -> None:
    if not STRACE:
        if os.environ.get("CI"):
            pytest.fail("strace is missing; .ci/run installs it")
        pytest.skip("strace is not installed (apt-get install strace; .ci/run does)")
    if not _traceable():
        pytest.skip("strace may not trace here (ptrace forbidden)")


def test_demo_makes_no_network_call(tmp_path):
    _need_strace()
    log = tmp_path / "trace.txt"
    cli = Path(sys.executable).with_name("attunement")
    found = subprocess.run(
        [STRACE, "-f", "-qq", "-e", "trace=connect,sendto,sendmsg", "-o", str(log),
         str(cli), "demo", "--out", str(tmp_path / "out")],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert found.returncode == 0, found.stderr
    assert (tmp_path / "out" / "report.html").is_file()
    assert outbound(log.read_text()) == []


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_server_makes_no_network_call(tmp_path):
    import time

    import httpx

    _need_strace()
    cli = str(Path(sys.executable).with_name("attunement"))
    data, log = tmp_path / "data", tmp_path / "trace.txt"
    (tmp_path / "pw").write_text("a phrase for tina 7\n")
    subprocess.run(
        [cli, "users", "add", "tina", "--password-file", str(tmp_path / "pw"), "--data-dir",
         str(data)],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    port = _free_port()
    server = subprocess.Popen(
        [STRACE, "-f", "-qq", "-e", "trace=bind,connect,sendto,sendmsg", "-o", str(log),
         cli, "serve", "--port", str(port), "--data-dir", str(data)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    demo = Path(__file__).parents[1] / "src" / "attunement" / "data" / "demo"
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as c:
            for _ in range(600):  # start-up under strace takes a while
                try:
                    c.get("/login")
                    break
                except httpx.TransportError:
                    time.sleep(0.2)
            token = c.cookies["attunement_csrf"]
            c.post("/login", data={"csrf_token": token, "username": "tina",
                                   "password": "a phrase for tina 7"})  # fmt: skip
            token = c.cookies["attunement_csrf"]
            r = c.post("/clients", data={"csrf_token": token, "label": "R. K."})
            cid = r.headers["location"].rsplit("/", 1)[1]
            lines = (demo / "transcript.csv").read_bytes().splitlines()[:41]
            files = {
                "transcript": ("notes.csv", b"\n".join(lines) + b"\n"),
                "therapist_wearable": ("t.zip", (demo / "therapist_e4.zip").read_bytes()),
                "client_wearable": ("c.zip", (demo / "client_e4.zip").read_bytes()),
            }
            r = c.post(f"/clients/{cid}/sessions", data={"csrf_token": token}, files=files)
            sid = r.headers["location"].split("/")[2]
            roles = {"csrf_token": token, "role_0": "therapist", "role_1": "client"}
            c.post(f"/sessions/{sid}/roles", data=roles)
            for _ in range(1200):
                status = c.get(f"/sessions/{sid}/status", headers={"accept": "application/json"})
                if status.json()["status"] in ("done", "failed"):
                    break
                time.sleep(0.25)
            assert status.json()["status"] == "done", status.json()
            assert c.get(f"/sessions/{sid}").status_code == 200
    finally:
        import signal

        os.killpg(server.pid, signal.SIGINT)  # strace and the server: Ctrl+C
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=60)
    trace = log.read_text()
    assert f"sin_port=htons({port})" in trace  # the server itself was traced
    assert outbound(trace) == []
