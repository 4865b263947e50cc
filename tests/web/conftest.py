"""Fixtures of the web app tests: settings on a temporary data dir, the app, a browser-like client,
accounts, and one analysed data dir shared by the tests that only need a finished session."""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from web_fixture import (
    CheckedClient,
    cheap_hasher,
    install_network_guard,
    login,
    make_users,
    new_client,
    upload_demo,
    wait_done,
)

import attunement.store.repo as repo
from attunement.web.app import create_app
from attunement.web.settings import Settings


def _clear_env(mp: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("ATTUNEMENT_"):
            mp.delenv(name)


@pytest.fixture(autouse=True)
def network_guard(monkeypatch: pytest.MonkeyPatch):
    """Fail the test when anything tries to connect to a non-loopback address.

    Yields the list of attempts (a test that provokes one on purpose empties it).
    """
    attempts: list = []
    install_network_guard(monkeypatch, attempts)
    yield attempts
    if attempts:
        pytest.fail(f"a connection to a non-loopback address was attempted: {attempts}")


@pytest.fixture(autouse=True)
def _quiet_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """No ATTUNEMENT_* variable of the environment leaks in; passwords hash cheaply."""
    _clear_env(monkeypatch)
    monkeypatch.setattr(repo, "PasswordHasher", cheap_hasher)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", login_max_failures=3)


@pytest.fixture
def app(settings: Settings):
    return create_app(settings)


@pytest.fixture
def client(app):
    with CheckedClient(app) as c:
        yield c


@pytest.fixture
def store(client):
    return client.app.state.store


@pytest.fixture
def users(store):
    """The accounts of web_fixture.USERS (sue supervises tina); name -> Viewer."""
    return make_users(store)


@dataclass(frozen=True)
class World:
    """A data dir with accounts and one analysed session of tina's (demo, with wristbands)."""

    data_dir: Path
    cid: str  # tina's client
    sid: str  # its analysed session
    theo_cid: str  # theo's client
    theo_sid: str  # its draft session
    label: str
    analysis_s: float

    @property
    def settings(self) -> Settings:
        return Settings(data_dir=self.data_dir, login_max_failures=3)


LABEL = "Client Juniper Quill"


@pytest.fixture(scope="session")
def analysed_template(tmp_path_factory: pytest.TempPathFactory) -> World:
    """Built once per test process; never changed (tests get a copy: ``world``)."""
    data = tmp_path_factory.mktemp("analysed") / "data"
    attempts: list = []
    with pytest.MonkeyPatch.context() as mp:
        _clear_env(mp)
        mp.setattr(repo, "PasswordHasher", cheap_hasher)
        install_network_guard(mp, attempts)
        with CheckedClient(create_app(Settings(data_dir=data))) as c:
            make_users(c.app.state.store)
            login(c, "theo")
            theo_cid = new_client(c, "Theo's client")
            theo_sid = upload_demo(c, theo_cid, rows=20, roles=None)
            c.post("/logout", data={"csrf_token": c.cookies["attunement_csrf"]})
            login(c, "tina")
            cid = new_client(c, LABEL)
            start = time.perf_counter()
            sid = upload_demo(c, cid, wearables=True)
            status = wait_done(c, sid, timeout=180)
            took = time.perf_counter() - start
    assert status["status"] == "done", status
    assert not attempts, attempts
    return World(data, cid, sid, theo_cid, theo_sid, LABEL, took)


@pytest.fixture
def world(analysed_template: World, tmp_path: Path) -> World:
    """A private copy of the analysed data dir."""
    target = tmp_path / "data"
    shutil.copytree(analysed_template.data_dir, target)
    return replace(analysed_template, data_dir=target)


@pytest.fixture
def world_client(world: World):
    with CheckedClient(create_app(world.settings)) as c:
        yield c


@dataclass
class Shared:
    """A copy of the analysed data dir served by one app for a whole test module, for tests
    that change nothing (or only what they check themselves)."""

    world: World
    client: CheckedClient
    link: str  # an open feedback link token of tina's session


@pytest.fixture(scope="module")
def _shared(analysed_template: World, tmp_path_factory: pytest.TempPathFactory):
    target = tmp_path_factory.mktemp("shared") / "data"
    shutil.copytree(analysed_template.data_dir, target)
    world = replace(analysed_template, data_dir=target)
    with pytest.MonkeyPatch.context() as mp:
        _clear_env(mp)
        mp.setattr(repo, "PasswordHasher", cheap_hasher)
        with CheckedClient(create_app(world.settings)) as c:
            store = c.app.state.store
            tina = next(u for u in store.users() if u.username == "tina")
            link = store.create_link(
                store.get_viewer(tina.id), world.sid, ["client_session"], hours=72
            )
            yield Shared(world, c, link)


@pytest.fixture
def shared(_shared: Shared) -> Shared:
    """The module's shared app, signed out."""
    _shared.client.cookies.clear()
    return _shared
