import sys
from datetime import timedelta

import click
from flask.cli import AppGroup
from sqlalchemy import select

from dtm.accounts import (
    MAX_TOKEN_DAYS,
    AccountError,
    create_user,
    find_user,
    issue_token,
    revoke_token,
    set_active,
)
from dtm.cli import transaction
from dtm.extensions import db
from geodata.models import ApiToken, User
from geodata.models.accounts import ROLES
from geodata.store import LARGEST_STORED_INTEGER


@click.group(cls=AppGroup, help="Manage users.")
def users():
    pass


@users.command("create")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(ROLES), help="What the user may do.")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from standard input instead of prompting.",
)
@click.option(
    "--no-password",
    is_flag=True,
    help="Create a user who signs in only with API tokens (e.g. a partner system).",
)
def create(username, role, password_stdin, no_password):
    """Create a user; asks for the password twice unless --password-stdin is given."""
    if no_password:
        password = None
    elif password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    with transaction(AccountError) as session:
        user = create_user(session, username, role, password)
    click.echo(f"created {user.role} {user.username}")


@users.command("list")
def list_users():
    """List users with their role and status."""
    for user in db.session.execute(select(User).order_by(User.username)).scalars():
        status = "active" if user.active else "deactivated"
        click.echo(f"{user.username}\t{user.role}\t{status}")


@users.command("deactivate")
@click.argument("username")
def deactivate(username):
    """Deactivate a user: their tokens and sessions stop working at once (audited)."""
    with transaction(AccountError) as session:
        set_active(session, find_user(session, username), False)
    click.echo(f"deactivated {username}")


@users.command("activate")
@click.argument("username")
def activate(username):
    """Reactivate a deactivated user: their unexpired, unrevoked tokens work again (audited)."""
    with transaction(AccountError) as session:
        set_active(session, find_user(session, username), True)
    click.echo(f"activated {username}")


@click.group(cls=AppGroup, help="Manage API tokens (sent as 'Authorization: Bearer <token>').")
def tokens():
    pass


@tokens.command("issue")
@click.argument("username")
@click.option("--label", help="What the token is for, e.g. 'tablet 12'.")
@click.option(
    "--expires-days",
    type=click.IntRange(min=1, max=MAX_TOKEN_DAYS),
    help=f"Expire after this many days (at most {MAX_TOKEN_DAYS}; default: never).",
)
def issue(username, label, expires_days):
    """Issue a token for USERNAME and print it (it is shown only this once)."""
    with transaction(AccountError) as session:
        user = find_user(session, username)
        expires = timedelta(days=expires_days) if expires_days else None
        token, secret = issue_token(session, user, label=label, expires_in=expires)
    click.echo(secret)
    click.echo(f"token {token.id} for {username}; store it now, it cannot be shown again", err=True)


@tokens.command("revoke")
@click.argument("token_ids", nargs=-1, type=click.IntRange(min=1, max=LARGEST_STORED_INTEGER))
@click.option("--user", "username", help="Revoke every token of this user.")
def revoke(token_ids, username):
    """Revoke tokens by id (see `tokens list`), or all of a user's with --user."""
    if not token_ids and not username:
        raise click.UsageError("give token ids or --user NAME")
    with transaction(AccountError) as session:
        found = []
        if username:
            found += find_user(session, username).tokens
        for token_id in token_ids:
            token = session.get(ApiToken, token_id)
            if token is None:
                raise AccountError(f"no token with id {token_id}")
            found.append(token)
        for token in found:
            revoke_token(session, token)
    click.echo(f"revoked {len(found)} token(s)")


@tokens.command("list")
@click.argument("username", required=False)
def list_tokens(username):
    """List tokens (id, user, label, prefix, created, last used, state)."""
    query = select(ApiToken).join(User).order_by(ApiToken.id)
    if username:
        with transaction(AccountError) as session:  # reads only; names an unknown user
            user_id = find_user(session, username).id
        query = query.where(ApiToken.user_id == user_id)
    for token in db.session.execute(query).scalars():
        state = "revoked" if token.revoked_at else "active"
        last = token.last_used_at.isoformat(timespec="seconds") if token.last_used_at else "never"
        click.echo(
            f"{token.id}\t{token.user.username}\t{token.label or ''}\t{token.prefix}…\t"
            f"{token.created_at:%Y-%m-%d}\t{last}\t{state}"
        )
