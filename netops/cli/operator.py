"""``netops operator …``: named console accounts, their roles and sites, TOTP and API tokens.

Every change is recorded in the audit trail with the local user who made it.
"""

from __future__ import annotations

import secrets
from enum import StrEnum
from typing import Annotated
from urllib.parse import quote, urlencode

import typer
from rich import box
from rich.table import Table

from netops.cli.common import DbOpt, InventoryOpt, console, get_inventory
from netops.cli.radius_subscribers import (
    PasswordOpt,
    PasswordStdinOpt,
    audit_cli,
    city_zone,
    open_store,
    read_password,
    when,
)
from netops.errors import NetopsError, StoreError
from netops.portal.security import new_totp_secret
from netops.store.operators import TOKEN_PREFIX

app = typer.Typer(
    help="Operator accounts for the console and the admin API: roles, sites, TOTP, API tokens."
)
token_app = typer.Typer(help="Per-operator API tokens for scripts: shown once, stored hashed.")
app.add_typer(token_app, name="token")


class RoleOpt(StrEnum):
    viewer = "viewer"
    helpdesk = "helpdesk"
    operator = "operator"
    admin = "admin"


SiteOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--site",
        help="Limit the account to a site's hotspots (repeat for several; default: every site).",
    ),
]


def _check_sites(sites: list[str] | None, inventory: InventoryOpt) -> frozenset[str]:
    if not sites:
        return frozenset()
    known = {s.id for s in get_inventory(inventory).sites}
    unknown = sorted(set(sites) - known)
    if unknown:
        raise NetopsError(f"--site {', '.join(unknown)}: not a site of the inventory")
    return frozenset(sites)


@app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="Account name (lower case), e.g. siti.rahma.")],
    role: Annotated[RoleOpt, typer.Option("--role", help="What the account may do.")],
    site: SiteOpt = None,
    password: PasswordOpt = None,
    password_stdin: PasswordStdinOpt = False,
    no_password: Annotated[
        bool, typer.Option("--no-password", help="API tokens only: no console sign-in.")
    ] = False,
    inventory: InventoryOpt = None,
    db: DbOpt = None,
) -> None:
    """Create an operator account (the password is asked for at a hidden prompt, twice)."""
    sites = _check_sites(site, inventory)
    secret = None if no_password else read_password(password, password_stdin)
    with open_store(db) as store:
        store.add_operator(name, role.value, sites=sites, password=secret)
        audit_cli(store, "operator.add", name, f"{role.value} {','.join(sorted(sites))}".strip())
    scope = f" at {', '.join(sorted(sites))}" if sites else ""
    console.print(f"added operator [bold]{name}[/] as {role.value}{scope}")


@app.command("role")
def set_role(
    name: Annotated[str, typer.Argument(help="Account name.")],
    role: Annotated[RoleOpt, typer.Option("--role", help="The new role.")],
    site: SiteOpt = None,
    inventory: InventoryOpt = None,
    db: DbOpt = None,
) -> None:
    """Change an account's role and sites (effective at its next request)."""
    sites = _check_sites(site, inventory)
    with open_store(db) as store:
        store.set_operator_role(name, role.value, sites)
        audit_cli(store, "operator.role", name, f"{role.value} {','.join(sorted(sites))}".strip())
    console.print(f"operator [bold]{name}[/] is now {role.value}")


@app.command("list")
def list_(inventory: InventoryOpt = None, db: DbOpt = None) -> None:
    """Every account with its role, sites, TOTP and live API tokens."""
    zone = city_zone(inventory)
    with open_store(db) as store:
        ops = store.operators()
        tokens = store.operator_tokens()
    table = Table(box=box.SIMPLE_HEAD)
    for col in ("name", "role", "sites", "enabled", "totp", "tokens", "created"):
        table.add_column(col)
    for o in ops:
        live = sum(1 for t in tokens if t.operator == o.name and t.revoked_at is None)
        table.add_row(
            o.name,
            o.role,
            ", ".join(sorted(o.sites)) or "all",
            "yes" if o.enabled else "no",
            "yes" if o.has_totp else "no",
            str(live),
            when(o.created_at, zone),
        )
    console.print(table)


def _enabled(name: str, enabled: bool, db: str | None) -> None:
    with open_store(db) as store:
        store.set_operator_enabled(name, enabled)
        audit_cli(store, "operator.enable" if enabled else "operator.disable", name)
    console.print(f"{'enabled' if enabled else 'disabled'} operator [bold]{name}[/]")


@app.command("disable")
def disable(name: Annotated[str, typer.Argument()], db: DbOpt = None) -> None:
    """Stop an account: its console sign-ins and API tokens stop working at once."""
    _enabled(name, False, db)


@app.command("enable")
def enable(name: Annotated[str, typer.Argument()], db: DbOpt = None) -> None:
    """Let a disabled account sign in again."""
    _enabled(name, True, db)


@app.command("passwd")
def passwd(
    name: Annotated[str, typer.Argument()],
    password: PasswordOpt = None,
    password_stdin: PasswordStdinOpt = False,
    db: DbOpt = None,
) -> None:
    """Set an account's console password."""
    with open_store(db) as store:
        if store.operator(name) is None:
            raise StoreError(f"operator {name!r} does not exist")
    secret = read_password(password, password_stdin, "New password")
    with open_store(db) as store:
        store.set_operator_password(name, secret)
        audit_cli(store, "operator.passwd", name)
    console.print(f"changed the password of operator [bold]{name}[/]")


@app.command("del")
def delete(name: Annotated[str, typer.Argument()], db: DbOpt = None) -> None:
    """Delete an account and its API tokens (the audit trail keeps its name)."""
    with open_store(db) as store:
        store.delete_operator(name)
        audit_cli(store, "operator.del", name)
    console.print(f"deleted operator [bold]{name}[/]")


@app.command("totp")
def totp(
    name: Annotated[str, typer.Argument()],
    off: Annotated[bool, typer.Option("--off", help="No longer ask for a TOTP code.")] = False,
    inventory: InventoryOpt = None,
    db: DbOpt = None,
) -> None:
    """Require a TOTP code at sign-in: prints the otpauth:// URI once (scan it into an
    authenticator app); running it again replaces the secret."""
    with open_store(db) as store:
        if store.operator(name) is None:
            raise StoreError(f"operator {name!r} does not exist")
        secret = None if off else new_totp_secret()
        store.set_operator_totp(name, secret)
        audit_cli(store, "operator.totp", name, "off" if off else "on")
    if secret is None:
        console.print(f"operator [bold]{name}[/] signs in without a TOTP code")
        return
    issuer = "netops"
    if inventory is not None:
        issuer = f"netops {get_inventory(inventory).meta.name}"
    query = urlencode({"secret": secret, "issuer": issuer, "digits": 6, "period": 30})
    typer.echo(f"otpauth://totp/{quote(issuer)}:{quote(name)}?{query}")
    console.print("[dim]shown once: scan it now; it is stored encrypted under the store key[/]")


@token_app.command("create")
def token_create(
    name: Annotated[str, typer.Argument(help="The operator the token acts as.")],
    label: Annotated[str, typer.Option("--label", help="What the token is for.")] = "script",
    db: DbOpt = None,
) -> None:
    """Make an API token with the operator's role; printed once, stored as its SHA-256."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with open_store(db) as store:
        made = store.add_operator_token(name, label, token)
        audit_cli(store, "operator.token_create", name, f"#{made.id} {label}")
    typer.echo(token)
    console.print(f"[dim]token #{made.id} for {name}: shown once, keep it in a secret store[/]")


@token_app.command("list")
def token_list(
    name: Annotated[str | None, typer.Argument(help="Only this operator's tokens.")] = None,
    inventory: InventoryOpt = None,
    db: DbOpt = None,
) -> None:
    """API tokens (never the tokens themselves): id, operator, label, prefix, use."""
    zone = city_zone(inventory)
    with open_store(db) as store:
        tokens = store.operator_tokens(name)
    table = Table(box=box.SIMPLE_HEAD)
    for col in ("id", "operator", "label", "prefix", "created", "last used", "revoked"):
        table.add_column(col)
    for t in tokens:
        table.add_row(
            str(t.id),
            t.operator,
            t.label,
            t.prefix + "…",
            when(t.created_at, zone),
            when(t.last_used_at, zone) if t.last_used_at else "-",
            when(t.revoked_at, zone) if t.revoked_at else "-",
        )
    console.print(table)


@token_app.command("revoke")
def token_revoke(
    token_id: Annotated[int, typer.Argument(help="The token's id (see `token list`).")],
    db: DbOpt = None,
) -> None:
    """Revoke an API token: it is refused from its next request."""
    with open_store(db) as store:
        if not store.revoke_operator_token(token_id):
            raise StoreError(f"there is no live API token #{token_id}")
        audit_cli(store, "operator.token_revoke", f"#{token_id}")
    console.print(f"revoked API token #{token_id}")
