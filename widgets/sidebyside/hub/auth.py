"""Class accounts: a password only that person receives, changed at their first login.

FirstUseAuthenticator lets whoever logs in first as `carol` choose carol's password: anyone who
knows the class list can take an account before its owner does. Here nobody chooses a first
password: the administrator issues one per person (`sudo .venv/bin/sidebyside hub passwords carol
dave`, printed once, stored bcrypt-hashed), hands it to that person only, and:

- a name without an issued password cannot log in at all (whatever is typed);
- with the issued password the person logs in, lands on the change-password page, and gets no
  server until they have chosen their own (the issued one cannot be kept);
- issuing again (a forgotten password) replaces the old one the same way.

Passwords live in FirstUseAuthenticator's dbm (its change-password page works unchanged); the
issued hashes in `issued.dbm` beside it, so "must change" is "the stored hash is the issued one".
"""

from __future__ import annotations

import dbm
import secrets
from pathlib import Path

import bcrypt
from firstuseauthenticator import FirstUseAuthenticator
from firstuseauthenticator.firstuseauthenticator import CustomLoginHandler, ResetPasswordHandler

CHANGE_URL = "auth/change-password"


def _issued_path(dbm_path: str) -> str:
    return str(Path(dbm_path).with_name("issued.dbm"))


def issue(dbm_path: str, names: list[str], length: int = 12) -> dict[str, str]:
    """New initial passwords for `names` (as root, in the hub's state folder); returns them."""
    out = {}
    with dbm.open(dbm_path, "c", 0o600) as db, dbm.open(_issued_path(dbm_path), "c", 0o600) as issued:
        for name in names:
            password = secrets.token_urlsafe(length)[:length]
            hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt())
            db[name] = hashed
            issued[name] = hashed
            out[name] = password
    return out


def has_password(dbm_path: str, name: str) -> bool:
    try:
        with dbm.open(dbm_path, "r") as db:
            return db.get(name) is not None
    except dbm.error:
        return False


def must_change(dbm_path: str, name: str) -> bool:
    """True while `name` still has the password they were issued."""
    try:
        with dbm.open(dbm_path, "r") as db, dbm.open(_issued_path(dbm_path), "r") as issued:
            return issued.get(name) is not None and issued.get(name) == db.get(name)
    except dbm.error:
        return False


class IssuedLoginHandler(CustomLoginHandler):
    """After a login with an issued password, go to the change-password page first."""

    def get_next_url(self, user=None, default=None):
        if user is not None and must_change(self.authenticator.dbm_path, user.name):
            return self.hub.base_url + CHANGE_URL
        return super().get_next_url(user, default)


class ClassAuthenticator(FirstUseAuthenticator):
    """FirstUseAuthenticator without the first use: only issued or changed passwords log in."""

    async def authenticate(self, handler, data):
        name = self.normalize_username(data["username"])
        with dbm.open(self.dbm_path, "c", 0o600) as db:
            known = db.get(name.encode()) is not None
        if not known:  # FirstUseAuthenticator would store whatever this first visitor typed
            self.log.warning("Login refused for %s: no password issued yet", name)
            return None
        return await super().authenticate(handler, data)

    def reset_password(self, username, new_password):
        try:
            with dbm.open(_issued_path(self.dbm_path), "r") as issued:
                hashed = issued.get(username)
        except dbm.error:
            hashed = None
        if hashed and bcrypt.checkpw(new_password.encode(), hashed):
            return "Choose a new password: the one you were given cannot be kept."
        return super().reset_password(username, new_password)

    def get_handlers(self, app):
        return [(r"/login", IssuedLoginHandler), (r"/auth/change-password", ResetPasswordHandler)]


def refuse_until_changed(dbm_path: str, name: str) -> None:
    """For the hub's pre-spawn hook: no server while the issued password is still in use."""
    if must_change(dbm_path, name):
        raise PermissionError(f"{name} must choose their own password first: /hub/{CHANGE_URL}")
