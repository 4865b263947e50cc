"""No network at run time: `attunement demo` (transcript, simulated wristbands, the transformer
coder, the EPITOME coders, the report) makes no connection and sends nothing to any address but
loopback, watched by strace at the system-call level, so a library's own DNS lookup (e.g. a
telemetry endpoint in native code) is caught too."""

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


def test_demo_makes_no_network_call(tmp_path):
    if not STRACE:
        if os.environ.get("CI"):
            pytest.fail("strace is missing; .ci/run installs it")
        pytest.skip("strace is not installed (apt-get install strace; .ci/run does)")
    if not _traceable():
        pytest.skip("strace may not trace here (ptrace forbidden)")
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
