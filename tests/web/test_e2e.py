"""End to end in a real headless Chromium: the app served by uvicorn, driven as its users would.

One ordered scenario in one test function (so that pytest-xdist keeps it in one worker): the
first administrator, two therapists, an upload with both wristbands, the report, a client's
feedback on a phone, the therapist's reflection, trends, another therapist kept out, and the
audit log. Another, on a server of its own: a recording uploaded alone, its transcription
followed on the page, who is who (the therapist guessed), the report. Every request to a host
other than 127.0.0.1 is aborted and fails the test, and so does any console error, uncaught page
error or Content-Security-Policy violation.

Set ``ATTUNEMENT_SCREENSHOTS=1`` to save screenshots of the main pages to ``docs/screenshots``.
"""

from __future__ import annotations

import csv
import io
import os
import re
from pathlib import Path

import pytest
from e2e_server import CHROMIUM_ARGS, LiveServer, PageGuard
from web_fixture import dialogue_samples, m4a_bytes

from attunement.web.app import create_app
from attunement.web.settings import Settings

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "src" / "attunement" / "data" / "demo"
SHOTS = ROOT / "docs" / "screenshots"
DESKTOP = {"width": 1200, "height": 900}
PHONE = {"width": 390, "height": 844}
#: Read at import: the tests of this folder run with every ATTUNEMENT_* variable cleared.
SCREENSHOTS = bool(os.environ.get("ATTUNEMENT_SCREENSHOTS"))

if not CHROMIUM.exists() and not os.environ.get("CI"):
    pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)", allow_module_level=True)

ADMIN = ("admin", "admin password 1")
THERAPIST_A = ("alma", "alma password 1")
THERAPIST_B = ("bruno", "bruno password 1")
STOOD_OUT = "When you said that I was brave."
WHAT_MOVED = "How she spoke about her sister."


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    app = create_app(Settings(data_dir=tmp_path_factory.mktemp("e2e-data")))
    with LiveServer(app) as live:
        yield live


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing, and CI is set: the end-to-end tests need Debian's "
            "chromium package (.ci/run installs it when run as root)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def _shot(page, name: str, *, at: str | None = None) -> None:
    """Save a viewport-sized screenshot of the page's top (or from element ``at`` down) when
    ``ATTUNEMENT_SCREENSHOTS`` is set."""
    if not SCREENSHOTS:
        return
    SHOTS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    top = 0
    if at:
        top = page.evaluate(
            "(s) => document.querySelector(s).getBoundingClientRect().top + window.scrollY", at
        )
    clip = {"x": 0, "y": max(top - 10, 0), "width": size["width"], "height": size["height"]}
    page.screenshot(path=str(SHOTS / f"{name}.png"), clip=clip, full_page=True)


def _submit(page, form: str) -> None:
    """Press the form's submit button and wait for the page that answers."""
    with page.expect_navigation():
        page.locator(f"{form} button[type=submit]").click()


def _sign_in(page, base: str, user: tuple[str, str], *, shot: str | None = None) -> None:
    page.goto(base + "/")
    assert page.url == base + "/login"
    page.fill("input[name=username]", user[0])
    page.fill("input[name=password]", user[1])
    if shot:
        _shot(page, shot)
    _submit(page, "form[action^='/login']")
    assert "/login" not in page.url, page.locator("#error").all_inner_texts()


def _tap(page, item: str, value: str, *, touch: bool = True) -> None:
    """Tap (or click) the answer ``value`` of the item whose element id is ``item``."""
    option = page.locator(f"#{item} label").filter(has=page.locator(f"input[value='{value}']"))
    if touch:
        option.tap()
    else:
        option.click()
    assert option.locator("input").is_checked()


def _assert_not_found(page, url: str, guard: PageGuard) -> None:
    guard.allowed_status.add(url)
    response = page.goto(url)
    assert response.status == 404, (url, response.status)
    assert page.locator("#message").inner_text().startswith("There is no such page")


def _check_the_guard(browser, base: str) -> None:
    """The guard itself notices a request leaving the computer and a CSP violation."""
    from playwright.sync_api import Error

    canary = PageGuard()
    ctx = canary.context(browser, viewport=DESKTOP)
    try:
        page = ctx.new_page()
        page.goto(base + "/login")
        page.evaluate(
            "var s = document.createElement('script'); s.textContent = 'window.x = 1';"
            "document.body.appendChild(s)"
        )
        page.wait_for_timeout(200)
        with pytest.raises(Error):
            page.goto("http://192.0.2.1/")
    finally:
        ctx.close()
    assert canary.foreign == ["http://192.0.2.1/"]
    assert any("CSP violation: script-src" in e for e in canary.errors), canary.errors


def test_the_whole_flow(browser, server):
    base = server.url
    _check_the_guard(browser, base)
    guard = PageGuard()
    contexts = []

    def context(**options):
        options.setdefault("viewport", DESKTOP)
        ctx = guard.context(browser, **options)
        contexts.append(ctx)
        return ctx

    try:
        # -- the first run: the administrator account, then two therapists ---------------------
        admin = context().new_page()
        admin.goto(base + "/")
        assert admin.url == base + "/setup"
        admin.fill("input[name=username]", ADMIN[0])
        admin.fill("input[name=password]", ADMIN[1])
        admin.fill("input[name=password2]", ADMIN[1])
        _shot(admin, "setup")
        _submit(admin, "form[action='/setup']")
        assert admin.url == base + "/admin/users"
        for (name, password), full in ((THERAPIST_A, "Alma A."), (THERAPIST_B, "Bruno B.")):
            admin.fill("#add-user input[name=username]", name)
            admin.fill("#add-user input[name=display_name]", full)
            admin.select_option("#add-user select[name=role]", "therapist")
            admin.fill("#add-user input[name=password]", password)
            _submit(admin, "#add-user")
            assert admin.url == base + "/admin/users"
            assert admin.locator("table.list tr", has_text=full).count() == 1

        # -- therapist A: a client, an upload with both wristbands, who is who ------------------
        a = context().new_page()
        _sign_in(a, base, THERAPIST_A, shot="login")
        assert a.url == base + "/clients"
        a.fill("#add-client input[name=label]", "R. K.")
        _submit(a, "#add-client")
        client_id = re.fullmatch(re.escape(base) + r"/clients/([^/]+)", a.url).group(1)
        a.locator("#upload details summary").click()
        a.set_input_files("#upload input[name=transcript]", DEMO / "transcript.csv")
        a.set_input_files("#upload input[name=therapist_wearable]", DEMO / "therapist_e4.zip")
        a.set_input_files("#upload input[name=client_wearable]", DEMO / "client_e4.zip")
        _shot(a, "client")
        _submit(a, "#upload")
        match = re.fullmatch(re.escape(base) + r"/sessions/([^/]+)/roles", a.url)
        assert match, (a.url, a.locator("#error").all_inner_texts())
        session_id = match.group(1)
        session_url = f"{base}/sessions/{session_id}"
        speakers = a.locator("#roles tr td:first-child").all_inner_texts()
        assert sorted(s.lower() for s in speakers) == ["client", "therapist"]
        for i, speaker in enumerate(speakers):
            a.select_option(f"#roles select[name=role_{i}]", speaker.lower())
        _submit(a, "#roles")
        assert a.url == session_url

        # the page follows the analysis and reloads itself when it is done
        a.wait_for_selector("#report", timeout=120_000)
        assert a.locator("#failed").count() == 0
        a.wait_for_selector("#report .js-plot svg.main-svg", timeout=20_000)
        assert a.locator("#report .js-plot svg.main-svg").count() >= 2
        assert a.locator("#beside tr[id^=beside-]").count() >= 3

        # -- a feedback link, answered on the client's phone -------------------------------------
        a.click("#make-link")
        assert a.locator("#link-form input[name=questionnaire]:checked").count() == 3
        _submit(a, "#link-form")
        link = a.locator("#feedback-url").inner_text().strip()
        assert link.startswith(base + "/f/")
        assert a.locator("#qr svg").count() == 1

        phone = context(
            viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=1
        ).new_page()
        phone.goto(link)
        assert phone.locator("#respond fieldset").count() == 3
        assert phone.locator("nav.top").count() == 0
        for item, value in (("heard", "9"), ("understood", "8"), ("moved", "7"), ("safe", "10")):
            _tap(phone, f"item-client_session-{item}", value)
        phone.fill("textarea[name='client_session.stood_out']", STOOD_OUT)
        _shot(phone, "feedback-phone")
        for i in range(1, 10):
            _tap(phone, f"item-phq9-item{i}", "1" if i <= 3 else "0")
        _tap(phone, "item-phq9-difficulty", "1")
        _shot(phone, "feedback-phone-phq9", at="#item-phq9-item8")
        for i in range(1, 8):
            _tap(phone, f"item-gad7-item{i}", "1" if i <= 2 else "0")
        with phone.expect_navigation():
            phone.locator("#respond button[type=submit]").tap()
        assert phone.locator("#thanks").is_visible()
        guard.allowed_status.add(link)
        again = phone.goto(link)
        assert again.status == 410
        assert "no longer valid" in phone.locator("h1").inner_text().lower()

        # -- A's reflection; the answers beside the measurements ---------------------------------
        a.goto(session_url + "/reflection")
        _tap(a, "item-therapist_reflection-present", "8", touch=False)
        _tap(a, "item-therapist_reflection-moved", "9", touch=False)
        a.fill("textarea[name='therapist_reflection.what_moved']", WHAT_MOVED)
        _submit(a, "#respond")
        assert a.url == session_url + "#felt"
        felt = a.locator("#felt").inner_text()
        for expected in (
            "How was today's session for you?",
            STOOD_OUT,
            "Total 3",  # PHQ-9: three items answered 1
            "Total 2",  # GAD-7: two items answered 1
            "Reflection after the session",
            WHAT_MOVED,
        ):
            assert expected in felt, (expected, felt)
        assert a.locator("#beside tr[id^=beside-]").count() >= 3
        a.wait_for_selector("#report .js-plot svg.main-svg", timeout=20_000)
        a.evaluate("window.scrollTo(0, 0)")
        _shot(a, "session")
        _shot(a, "session-report", at="#report")
        _shot(a, "session-plots", at="#report .js-plot")

        # -- trends, and their CSV ----------------------------------------------------------------
        a.goto(base + "/trends")
        a.wait_for_selector(".js-plot svg.main-svg", timeout=20_000)
        _shot(a, "trends")
        with a.expect_download() as download_info:
            a.click("#trends-csv")
        download = download_info.value
        assert download.suggested_filename.endswith(".csv")
        rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text("utf-8"))))
        assert len(rows) == 1
        assert float(rows[0]["client_session_heard"]) == 9
        assert float(rows[0]["phq9_total"]) == 3

        # -- therapist B sees none of it ----------------------------------------------------------
        b = context().new_page()
        _sign_in(b, base, THERAPIST_B)
        for url in (
            session_url,
            session_url + "/export/results.json",
            session_url + "/feedback-link",
            f"{base}/clients/{client_id}",
        ):
            _assert_not_found(b, url, guard)
        b.goto(base + "/clients")
        assert "R. K." not in b.locator("main").inner_text()

        # -- the audit log names the refusals, and its chain holds --------------------------------
        admin.goto(base + "/admin/audit")
        denied = admin.locator("table.list tr").filter(has_text=THERAPIST_B[0])
        denied = denied.filter(has=admin.locator("td", has_text=re.compile(r"^denied$")))
        assert denied.count() >= 4
        chain = admin.locator("#chain")
        assert "is intact" in chain.inner_text()
        assert "ok" in chain.get_attribute("class").split()
    finally:
        for ctx in contexts:
            ctx.close()

    assert guard.foreign == [], "requests left the computer"
    assert guard.errors == [], "the pages reported errors"


def test_a_recording_alone_in_the_browser(browser, tmp_path):
    # a 14 s dialogue spoken by espeak-ng, as an M4A file chosen in the form
    recording = m4a_bytes(dialogue_samples())
    app = create_app(Settings(data_dir=tmp_path / "data"))
    guard = PageGuard()
    with LiveServer(app) as live:
        base = live.url
        app.state.store.create_user("carla", THERAPIST_A[1], "therapist")
        ctx = guard.context(browser, viewport=DESKTOP)
        try:
            page = ctx.new_page()
            _sign_in(page, base, ("carla", THERAPIST_A[1]))
            page.fill("#add-client input[name=label]", "S. T.")
            _submit(page, "#add-client")
            page.set_input_files(
                "#upload input[name=audio]",
                files=[{"name": "week 6.m4a", "mimeType": "audio/mp4", "buffer": recording}],
            )
            _submit(page, "#upload")
            assert re.fullmatch(re.escape(base) + r"/sessions/[^/]+", page.url), page.url
            session_url = page.url
            assert page.locator("#progress").is_visible()
            # the page follows the transcription, then asks who is who
            page.wait_for_url(session_url + "/roles", timeout=60_000)
            assert "therapist" in page.locator("#guessed").inner_text()
            assert page.input_value("#roles select[name=role_0]") == "therapist"
            assert page.input_value("#roles select[name=role_1]") == "client"
            _submit(page, "#roles")
            assert page.url == session_url
            page.wait_for_selector("#report", timeout=120_000)
            assert page.locator("#failed").count() == 0
            assert page.locator("#transcribed").is_visible()
        finally:
            ctx.close()
    assert guard.foreign == [], "requests left the computer"
    assert guard.errors == [], "the pages reported errors"
