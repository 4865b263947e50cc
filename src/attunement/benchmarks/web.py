"""Load benchmark of the web app: page views under many concurrent signed-in users.

The app runs as its own server process (uvicorn, loopback only) on a fresh data dir seeded with
one therapist, ``users`` sign-in sessions, a client and a 1-hour session (``utterances``
utterances built from the bundled demo transcript, analysed by the app's own background job).
Then ``users`` concurrent clients (asyncio + httpx, one connection each) request pages in a loop
for ``seconds`` seconds, with a think time between pages: the session page, the client page, the
trends page and — the peer measured in the same run — a small static file, the floor of what the
server can do. Each row gives the request count and the 50th / 95th / 99th latency percentiles.
"""

from __future__ import annotations

import asyncio
import csv
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from attunement.web.security import CSRF_COOKIE

__all__ = ["long_transcript", "run_web_benchmark"]

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def long_transcript(target: Path, *, utterances: int = 700, duration_s: float = 3600.0) -> Path:
    """A WebVTT transcript of ``utterances`` cues over ``duration_s`` seconds, cycling through
    the bundled demo transcript's utterances (therapist and client)."""
    from importlib.resources import files

    demo = files("attunement") / "data" / "demo" / "transcript.csv"
    with demo.open(encoding="utf-8") as fh:
        rows = [
            (r["interlocutor"], r["utterance_text"])
            for r in csv.DictReader(fh)
            if r.get("utterance_text")
        ]
    step = duration_s / utterances

    def clock(t: float) -> str:
        ms = round(t * 1000)
        return f"{ms // 3600000:02d}:{ms // 60000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"

    lines = ["WEBVTT", ""]
    for i in range(utterances):
        who, text = rows[i % len(rows)]
        speaker = "Therapist" if who.lower().startswith("therapist") else "Client"
        start, end = i * step, i * step + step * 0.9
        lines += [f"{clock(start)} --> {clock(end)}", f"<v {speaker}>{text}</v>", ""]
    target.write_text("\n".join(lines), encoding="utf-8")
    return target


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_up(url: str, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server stopped (exit {proc.returncode})")
        try:
            httpx.get(url + "/login", timeout=1.0)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError("the server did not start in time")


def _seed(base: str, transcript: Path, users: int) -> tuple[str, str, list]:
    """Create accounts and the analysed session through the app itself; return ids and cookies."""
    import httpx

    with httpx.Client(base_url=base, follow_redirects=True, timeout=120) as c:
        tok = _CSRF.search(c.get("/setup").text).group(1)
        pw = "benchmark password"
        c.post(
            "/setup", data={"csrf_token": tok, "username": "admin", "password": pw, "password2": pw}
        )
        tok = c.cookies[CSRF_COOKIE]  # a sign-in gives the browser a new CSRF token
        c.post(
            "/admin/users",
            data={"csrf_token": tok, "username": "therapist", "password": pw, "role": "therapist"},
        )
        c.post("/logout", data={"csrf_token": tok})
        c.post("/login", data={"csrf_token": tok, "username": "therapist", "password": pw})
        tok = c.cookies[CSRF_COOKIE]
        r = c.post("/clients", data={"csrf_token": tok, "label": "Client A"})
        client_id = str(r.url).rstrip("/").rsplit("/", 1)[1]
        r = c.post(
            f"/clients/{client_id}/sessions",
            data={"csrf_token": tok, "held_on": "2026-11-20"},
            files={"transcript": (transcript.name, transcript.read_bytes())},
        )
        session_id = str(r.url).split("/")[-2]
        c.post(
            f"/sessions/{session_id}/roles",
            data={"csrf_token": tok, "role_0": "therapist", "role_1": "client"},
        )
        t0 = time.perf_counter()
        while c.get(f"/sessions/{session_id}/status").json()["status"] not in ("done", "failed"):
            time.sleep(0.2)
        analysis_s = time.perf_counter() - t0
        jars = []
        for _ in range(users):
            u = httpx.Client(base_url=base, follow_redirects=True)
            t = _CSRF.search(u.get("/login").text).group(1)
            u.post("/login", data={"csrf_token": t, "username": "therapist", "password": pw})
            jars.append(dict(u.cookies))
            u.close()
        t0 = time.perf_counter()
        first = c.get(f"/sessions/{session_id}")
        first_view_s = time.perf_counter() - t0
        if first.status_code != 200 or 'id="report"' not in first.text:
            raise RuntimeError("the session page did not render a report")
    return session_id, client_id, [jars, analysis_s, first_view_s, len(first.content)]


async def _load(
    base: str, jars: list, paths: dict[str, str], seconds: float, think_s: float
) -> dict:
    import random

    import httpx

    samples: dict[str, list[float]] = {name: [] for name in paths}
    errors = 0
    stop = time.perf_counter() + seconds
    names = list(paths)

    async def user(i: int) -> None:
        nonlocal errors
        rng = random.Random(i)
        async with httpx.AsyncClient(base_url=base, cookies=jars[i], timeout=30) as c:
            await asyncio.sleep(rng.uniform(0, think_s))
            k = i
            while time.perf_counter() < stop:
                name = names[k % len(names)]
                k += 1
                t0 = time.perf_counter()
                r = await c.get(paths[name])
                samples[name].append(time.perf_counter() - t0)
                if r.status_code != 200:
                    errors += 1
                if think_s > 0:
                    await asyncio.sleep(rng.uniform(0.5, 1.5) * think_s)

    await asyncio.gather(*(user(i) for i in range(len(jars))))
    return {"samples": samples, "errors": errors}


def run_web_benchmark(
    *, users: int = 50, seconds: float = 20.0, utterances: int = 700, think_s: float = 1.0
) -> pd.DataFrame:
    """Serve the app in its own process, load it with ``users`` concurrent users; one row per page.

    Each user waits ``think_s`` seconds (uniformly 0.5-1.5 times that, so users do not march in
    step) between a page and the next, as a person reading does; ``think_s=0`` is a stress test
    in which every user asks again the moment an answer arrives.

    Returns
    -------
    pandas.DataFrame
        Columns: page, requests, per_s, p50_ms, p95_ms, p99_ms, p95_vs_static (ratio of the
        page's p95 to the static file's). The frame's ``attrs`` hold ``analysis_s`` (upload to
        done for the 1-hour session), ``first_view_ms`` (the session page's first view after the
        analysis), ``page_bytes`` and ``errors`` (non-200 answers).
    """
    with tempfile.TemporaryDirectory(prefix="attunement-web-bench-") as tmp:
        folder = Path(tmp)
        transcript = long_transcript(folder / "one-hour.vtt", utterances=utterances)
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        env = {**os.environ, "ATTUNEMENT_DATA_DIR": str(folder / "data")}
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "attunement.web.app:create_app",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            env=env,
        )
        try:
            _wait_up(base, proc)
            session_id, client_id, (jars, analysis_s, first_view_s, size) = _seed(
                base, transcript, users
            )
            paths = {
                "session page (1 h)": f"/sessions/{session_id}",
                "client page": f"/clients/{client_id}",
                "trends page": "/trends",
                "static file (peer)": "/static/app.css",
            }
            result = asyncio.run(_load(base, jars, paths, seconds, think_s))
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
    rows = []
    for name, values in result["samples"].items():
        ms = np.asarray(values) * 1000
        rows.append(
            {
                "page": name,
                "requests": len(ms),
                "per_s": len(ms) / seconds,
                "p50_ms": float(np.percentile(ms, 50)) if len(ms) else float("nan"),
                "p95_ms": float(np.percentile(ms, 95)) if len(ms) else float("nan"),
                "p99_ms": float(np.percentile(ms, 99)) if len(ms) else float("nan"),
            }
        )
    frame = pd.DataFrame(rows)
    static = frame.loc[frame["page"] == "static file (peer)", "p95_ms"].iloc[0]
    frame["p95_vs_static"] = frame["p95_ms"] / static
    frame.attrs.update(
        analysis_s=analysis_s,
        first_view_ms=first_view_s * 1000,
        page_bytes=size,
        errors=result["errors"],
    )
    return frame
