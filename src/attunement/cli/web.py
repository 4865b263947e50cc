"""The local web app: ``serve``, ``users ...`` and ``audit ...``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from attunement.cli._options import DataDirOpt, RoleName, warn
from attunement.cli._render import out_console
from attunement.errors import AttunementError

users_app = typer.Typer(help="Accounts of the web app.", no_args_is_help=True)
audit_app = typer.Typer(help="The web app's audit log.", no_args_is_help=True)


def _web_settings(data_dir: Path | None, **extra):
    from pydantic import ValidationError

    from attunement.web.settings import Settings

    try:
        return Settings(**({"data_dir": data_dir} if data_dir else {}), **extra)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = "ATTUNEMENT_" + "_".join(str(p) for p in first["loc"]).upper()
        raise AttunementError(f"{field}: {first['msg']}") from None


def _is_loopback(host: str) -> bool:
    import ipaddress

    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    data_dir: DataDirOpt = None,
    forwarded_allow_ips: Annotated[
        str | None,
        typer.Option(
            "--forwarded-allow-ips",
            help="Addresses of reverse proxies whose X-Forwarded-For header names the browser's "
            "address (comma-separated, e.g. 127.0.0.1 for a proxy on this computer; '*' trusts "
            "any). Default: none, so no client can claim another address in the header; the "
            "sign-in limit per address and the audit log then see the proxy's address.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Run the local web app (sessions, reports, feedback, trends) in the browser."""
    import uvicorn

    from attunement.store.lock import ServerLock
    from attunement.web.app import create_app, open_store

    settings = _web_settings(data_dir)
    if not _is_loopback(host):
        warn(
            f"listening on {host}, not only on this computer: anyone who can reach this address "
            "can try to sign in. Use it only on a network you trust, behind HTTPS (set "
            "ATTUNEMENT_SECURE_COOKIES=1)."
        )
    open_store(settings).db.dispose()  # fail here, with a clear message, not in the server
    ServerLock(Path(settings.data_dir).expanduser()).acquire().release()  # refused here too
    out_console.print(
        f"attunement: serving http://{host}:{port}/ (data in {settings.data_dir}); Ctrl+C stops it",
        markup=False,
    )
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        log_level="warning",
        proxy_headers=forwarded_allow_ips is not None,
        forwarded_allow_ips=forwarded_allow_ips,
    )


@users_app.command("add")
def users_add(
    username: Annotated[str, typer.Argument(help="User name.", show_default=False)],
    role: Annotated[
        RoleName, typer.Option(help="therapist, supervisor or admin.")
    ] = RoleName.therapist,
    password_file: Annotated[
        Path | None,
        typer.Option(
            "--password-file",
            help="Read the password from this file's first line (default: ask).",
            show_default=False,
        ),
    ] = None,
    display_name: Annotated[str, typer.Option("--name", help="Full name.")] = "",
    data_dir: DataDirOpt = None,
) -> None:
    """Add an account (the first admin, or any user)."""
    from attunement.io._common import read_text
    from attunement.web.app import open_store

    if password_file is not None:
        password = read_text(password_file, what="a password file").splitlines()[0:1]
        password = password[0] if password else ""
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    store = open_store(_web_settings(data_dir))
    try:
        viewer = store.create_user(username, password, role.value, display_name=display_name)
        store.audit(
            "user_created", target=f"user:{viewer.username}", detail=f"role {role.value}; cli"
        )
    finally:
        store.db.dispose()
    out_console.print(f"added {viewer.role} {viewer.username}", markup=False)


@users_app.command("list")
def users_list(data_dir: DataDirOpt = None) -> None:
    """List the accounts."""
    from attunement.web.app import open_store

    store = open_store(_web_settings(data_dir))
    try:
        table = Table("user", "role", "active", "supervises")
        for u in store.users():
            table.add_row(u.username, u.role, "yes" if u.active else "no", ", ".join(u.supervises))
    finally:
        store.db.dispose()
    out_console.print(table)


@audit_app.command("verify")
def audit_verify(data_dir: DataDirOpt = None) -> None:
    """Check that the audit log's hash chain is unbroken (exit 1 when it is not)."""
    from attunement.web.app import open_store

    store = open_store(_web_settings(data_dir))
    try:
        check = store.verify_audit()
    finally:
        store.db.dispose()
    if not check.ok:
        raise AttunementError(f"audit log: {check.reason}")
    out_console.print(f"audit log intact: {check.n_entries} entries", markup=False)
