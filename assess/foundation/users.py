"""Users, passwords (Argon2id) and login."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypedDict

from assess.foundation import accounts, audit
from assess.foundation.accounts import authorize, credential_digest
from assess.foundation.errors import AuthError, Conflict, NotFound
from assess.foundation.roles import ROLES, Actor

if TYPE_CHECKING:
    from argon2 import PasswordHasher
    from sqlmodel import Session

    from assess.foundation.db import Database

MIN_PASSWORD = 8


class Argon2Params(TypedDict, total=False):
    time_cost: int
    memory_cost: int
    parallelism: int


# Argon2id parameters passed to the library; empty means its recommended defaults. There is no
# switch for weaker hashes here: only the test suite lowers them (tests/conftest.py).
ARGON2_PARAMS: Argon2Params = {}


def _hasher() -> PasswordHasher:
    """Argon2id; verification always uses the parameters stored in the hash."""
    from argon2 import PasswordHasher, Type

    return PasswordHasher(type=Type.ID, **ARGON2_PARAMS)


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def user_count(db: Database) -> int:
    from sqlalchemy import func
    from sqlmodel import select

    from assess.models import User

    with db.read() as s:
        return s.exec(select(func.count()).select_from(User)).one()


def add_user(db: Database, actor: Actor | None, username: str, role: str, password: str,
             display_name: str | None = None, unit_code: str | None = None) -> int:
    """Add a user. With no users in the database yet, the first user is created without an actor
    and must be an admin (bootstrap); afterwards only an admin may add users. ``unit_code`` binds
    the account to a unit (职能部门评分, assess/scorers.py); it is recorded in the audit chain."""
    from sqlmodel import select

    from assess.models import User

    username = username.strip()
    if not username or len(username) > 64 or any(c.isspace() for c in username):
        raise Conflict("用户名不能为空、不能含空白、不超过 64 个字符。")
    if role not in ROLES:
        raise Conflict(f"未知角色“{role}”，可选：{', '.join(ROLES)}。")
    if len(password) < MIN_PASSWORD:
        raise Conflict(f"密码至少 {MIN_PASSWORD} 个字符。")
    pw_hash = hash_password(password)
    with db.write() as s:
        existing = s.exec(select(User.id)).first()
        if existing is None:
            if role != "admin":
                raise Conflict("数据库中还没有用户：第一个用户必须是管理员（admin）。")
            acting = actor.username if actor else username
        else:
            if actor is None:
                raise AuthError("新增用户需要管理员登录。")
            authorize(actor, "user.add")
            acting = actor.username
        if s.exec(select(User.id).where(User.username == username)).first() is not None:
            raise Conflict(f"用户“{username}”已存在。")
        unit = _bound_unit(s, unit_code)
        user = User(username=username, display_name=display_name or username, role=role, password_hash=pw_hash,
                    unit_code=unit)
        s.add(user)
        s.flush()
        payload = {"username": username, "role": role, "credential": credential_digest(pw_hash)}
        if unit:
            payload["unit"] = unit
        audit.append(s, acting, "user.add", payload)
        assert user.id is not None  # flushed: the row has its id
        return user.id


def _bound_unit(s: Session, unit_code: str | None) -> str | None:
    """The code of an existing unit to bind an account to, or None (the office)."""
    from sqlmodel import select

    from assess.models import Unit

    code = (unit_code or "").strip()
    if not code:
        return None
    if s.exec(select(Unit.id).where(Unit.code == code)).first() is None:
        raise NotFound(f"单位“{code}”不存在：所属单位须是已登记的单位编码。")
    return code


def set_unit(db: Database, actor: Actor, username: str, unit_code: str | None) -> None:
    """Bind an account to a unit (or back to the office with None), audited as ``user.unit``."""
    from sqlmodel import select

    from assess.models import User

    authorize(actor, "user.unit")
    with db.write() as s:
        user = s.exec(select(User).where(User.username == username)).first()
        if user is None:
            raise NotFound(f"用户“{username}”不存在。")
        unit = _bound_unit(s, unit_code)
        if unit == user.unit_code:
            return
        previous = user.unit_code
        user.unit_code = unit
        s.add(user)
        audit.append(s, actor.username, "user.unit", {"username": username, "unit": unit, "previous": previous})


def user_unit(db: Database, username: str) -> str | None:
    """The unit code an account is bound to (None: the office)."""
    from sqlmodel import select

    from assess.models import User

    with db.read() as s:
        return s.exec(select(User.unit_code).where(User.username == username)).first()


def display_names(session: Session) -> dict[str, str]:
    """Login name → the name people read (display name), for every user."""
    from sqlmodel import select

    from assess.models import User

    return {u.username: u.display_name or u.username for u in session.exec(select(User))}


def names_of(db: Database) -> dict[str, str]:
    """``display_names`` read in a session of its own, for a screen that lists records by login name."""
    with db.read() as s:
        return display_names(s)


def authenticate(db: Database, username: str, password: str) -> Actor:
    """Check a password: the one login check of the TUI (login and lock screens) and the CLI.
    Failed attempts are recorded and throttled, and an account that differs from the audit chain
    is refused (assess/accounts.py)."""
    from argon2.exceptions import InvalidHashError, VerificationError
    from sqlmodel import select

    from assess.models import User

    accounts.discard_pending()
    name = username.strip()[:64]
    wait = accounts.login_wait(db, name)
    if wait > 0:
        raise AuthError(f"登录失败次数过多：用户“{name}”暂停登录，请 {accounts.wait_text(wait)}后再试。")
    with db.read() as s:
        user = s.exec(select(User).where(User.username == name)).first()
    ok = False
    if user is None or not user.active:
        # Spend the same time as a real check so usernames cannot be probed by timing.
        try:
            _hasher().verify(_DUMMY_HASH, password)
        except VerificationError:
            pass
    else:
        try:
            ok = _hasher().verify(user.password_hash, password)
        except (VerificationError, InvalidHashError):
            ok = False
    if not ok:
        n = accounts.record_failure(db, name)
        wait = accounts.delay_after(n)
        later = f"（已连续失败 {n} 次，须等 {accounts.wait_text(wait)}后再试）" if wait else ""
        raise AuthError(f"用户名或密码错误。{later}")
    assert user is not None  # ok is set only by checking the password of a user that exists
    with db.read() as s:
        problem = accounts.account_problem(s, user)
    if problem:
        raise AuthError(f"账户与审计记录不符，拒绝登录：{problem}。")
    accounts.clear_failures(db, name)
    return Actor(user.username, user.role, user.display_name)


def set_active(db: Database, actor: Actor, username: str, active: bool) -> None:
    from sqlmodel import col, select

    from assess.models import User

    authorize(actor, "user.deactivate")
    with db.write() as s:
        user = s.exec(select(User).where(User.username == username)).first()
        if user is None:
            raise NotFound(f"用户“{username}”不存在。")
        if user.username == actor.username and not active:
            raise Conflict("不能停用自己。")
        user.active = active
        s.add(user)
        if active:  # activating also ends a run of failed logins (docs/reliability.md)
            from sqlalchemy import delete

            from assess.models import LoginFailure

            s.exec(delete(LoginFailure).where(col(LoginFailure.username) == username))
        audit.append(s, actor.username, "user.deactivate" if not active else "user.activate", {"username": username})


def list_users(db: Database) -> list[dict]:
    from sqlmodel import select

    from assess.models import User

    with db.read() as s:
        users = s.exec(select(User).order_by(User.username)).all()
    return [{"username": u.username, "display_name": u.display_name, "role": u.role, "active": u.active,
             "unit": u.unit_code or ""} for u in users]


_DUMMY_HASH = "$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHRzb21lc2FsdA$1pcsrKfl7E0u4Vx6JxBmhk8PrOs3xbyOQ8ABUojhMhg"


def change_password(db: Database, actor: Actor, username: str, new_password: str,
                    old_password: str | None = None) -> None:
    """Change a password. Users change their own with the old password; an admin resets others'."""
    from argon2.exceptions import InvalidHashError, VerificationError
    from sqlmodel import select

    from assess.models import User

    if len(new_password) < MIN_PASSWORD:
        raise Conflict(f"密码至少 {MIN_PASSWORD} 个字符。")
    own = username == actor.username
    if not own:
        authorize(actor, "user.password")
    new_hash = hash_password(new_password)
    with db.write() as s:
        user = s.exec(select(User).where(User.username == username)).first()
        if user is None:
            raise NotFound(f"用户“{username}”不存在。")
        if own:
            try:
                _hasher().verify(user.password_hash, old_password or "")
            except (VerificationError, InvalidHashError):
                raise AuthError("原密码不正确。") from None
        user.password_hash = new_hash
        s.add(user)
        audit.append(s, actor.username, "user.password",
                     {"username": username, "own": own, "credential": credential_digest(new_hash)})
