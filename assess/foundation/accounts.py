"""Accounts as part of the audited state (docs/reliability.md, "账户与审计链").

The audit chain is the record of who may act: ``user.add`` creates an account with its role and a
digest of its password hash, ``user.deactivate`` / ``user.activate`` change its activation and
``user.password`` its credential. Replaying those records gives the accounts the office created;
the ``app_user`` table must agree with them. A row that no record created (``INSERT INTO app_user``
with a file editor), a role or activation changed behind the application's back, or a password hash
swapped in, is reported by ``assess audit verify`` (``verify_accounts``), refused at login
(``account_problem``) and refused for every write (``confirm_actor``).

Every write re-checks its actor inside the write transaction: ``roles.authorize`` calls
``require_current``, which checks at once when a write transaction is open in this context and
otherwise leaves the actor to be checked by the next ``Database.write`` (``write_scope``). So a user
deactivated while logged in cannot certify or key another ballot, whatever the ``Actor`` object says.

Failed logins are recorded (``login_failure`` rows and a ``user.login.failed`` audit record) and
throttled: from the ``LOCK_AFTER``-th failure in a row the user name waits ``BASE_DELAY`` seconds,
doubling with each further failure up to ``MAX_DELAY``; a successful login ends the run.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from types import FrameType, SimpleNamespace
from typing import TYPE_CHECKING, Any

from assess.foundation import audit, plain_sql
from assess.foundation.errors import AuthError, PermissionDenied
from assess.foundation.roles import ACTIONS, ROLES, allowed

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy.engine import Connection
    from sqlmodel import Session

    from assess.foundation.db import Database
    from assess.foundation.roles import Actor
    from assess.models import User

ACCOUNT_ACTIONS = ("user.add", "user.deactivate", "user.activate", "user.password", "user.unit")
LOCK_AFTER = 5  # failures in a row before the first wait
BASE_DELAY = 30.0  # seconds after the LOCK_AFTER-th failure, doubled after each further one
MAX_DELAY = 3600.0


def credential_digest(password_hash: str) -> str:
    """What the audit record keeps of a password hash: enough to detect a swapped hash."""
    return hashlib.sha256(password_hash.encode("utf-8")).hexdigest()[:32]


@dataclass
class AccountState:
    role: str
    active: bool
    credential: str | None  # None: created before credentials were recorded
    unit: str | None = None  # the unit (code) the account works for (职能部门评分); None: the office


def chain_accounts(session: Session | Connection) -> tuple[dict[str, AccountState], list[str]]:
    """Replay the account records of the audit chain. Returns the accounts and the records that
    could not have been written by the application (an account added or changed by someone who
    was not an active admin at that point, an account added twice or changed before it existed)."""
    from sqlalchemy import select

    from assess.models import tables as t

    accounts: dict[str, AccountState] = {}
    problems: list[str] = []
    a = t.auditrecord
    query = select(a.c.seq, a.c.actor, a.c.action, a.c.payload).where(a.c.action.in_(ACCOUNT_ACTIONS))
    rows: Sequence[Any] = plain_sql.connection_of(session).execute(query.order_by(a.c.seq)).all()
    for seq, actor, action, payload in rows:
        if isinstance(payload, str):
            payload = json.loads(payload)
        name = str(payload.get("username", ""))
        acting = accounts.get(actor)
        by_admin = acting is not None and acting.active and acting.role == "admin"
        if action == "user.add":
            bootstrap = not accounts and actor == name and payload.get("role") == "admin"
            if not (by_admin or bootstrap):
                problems.append(f"审计记录 #{seq}：新增用户“{name}”的操作者“{actor}”当时不是在任的管理员")
            if name in accounts:
                problems.append(f"审计记录 #{seq}：用户“{name}”被重复新增")
            accounts[name] = AccountState(str(payload.get("role", "")), True, payload.get("credential"),
                                          payload.get("unit"))
            continue
        state = accounts.get(name)
        if state is None:
            problems.append(f"审计记录 #{seq}：{action} 针对的用户“{name}”此前没有新增记录")
            continue
        if action == "user.password":
            if not (by_admin or actor == name):
                problems.append(f"审计记录 #{seq}：用户“{name}”的密码被“{actor}”更改，其无此权限")
            state.credential = payload.get("credential")
        elif action == "user.unit":
            if not by_admin:
                problems.append(f"审计记录 #{seq}：用户“{name}”的所属单位被“{actor}”更改，其当时不是在任的管理员")
            state.unit = payload.get("unit")
        else:
            if not by_admin:
                problems.append(f"审计记录 #{seq}：{action} 用户“{name}”的操作者“{actor}”当时不是在任的管理员")
            state.active = action == "user.activate"
    return accounts, problems


def _row_problems(username: str, role: str, active: bool, password_hash: str,
                  state: AccountState | None, unit_code: str | None = None) -> list[str]:
    if state is None:
        return [f"账户“{username}”（{ROLES.get(role, role)}）没有任何审计记录创建它（被直接写入数据库）"]
    out = []
    if role != state.role:
        out.append(f"账户“{username}”的角色是{ROLES.get(role, role)}，审计记录中为{ROLES.get(state.role, state.role)}")
    if bool(active) != state.active:
        now, rec = ("启用", "停用") if active else ("停用", "启用")
        out.append(f"账户“{username}”当前为{now}，审计记录中为{rec}")
    if state.credential is not None and credential_digest(password_hash) != state.credential:
        out.append(f"账户“{username}”的密码哈希与审计记录不符（被直接改写）")
    if (unit_code or None) != state.unit:
        out.append(f"账户“{username}”的所属单位是“{unit_code or '考核办'}”，审计记录中为“{state.unit or '考核办'}”")
    return out


def verify_accounts(db: Database) -> list[str]:
    """Every account against the audit chain (one line per difference), for ``assess audit verify``."""
    from sqlalchemy import select

    from assess.models import tables as t

    u = t.app_user
    with db.rows() as conn:
        accounts, problems = chain_accounts(conn)
        columns = (u.c.username, u.c.role, u.c.active, u.c.password_hash, u.c.unit_code)
        rows: Sequence[Any] = conn.execute(select(*columns)).all()
    seen = set()
    for username, role, active, password_hash, unit_code in rows:
        seen.add(username)
        problems += _row_problems(username, role, active, password_hash, accounts.get(username), unit_code)
    for name in sorted(set(accounts) - seen):
        problems.append(f"账户“{name}”有审计记录，但已从用户表中删除")
    return problems


# The replayed account records per database, keyed by how many account records there are and the
# newest one's seq and hash: a write re-checks its actor against them without replaying the records each
# time. A record added anywhere changes the key; a record changed in place keeps the key and so is
# judged against the state replayed before the change (and ``audit verify`` reports the change).
_replayed: dict[str, tuple[tuple, tuple[dict[str, AccountState], list[str]]]] = {}

_ACCOUNT_RECORDS = "auditrecord WHERE action IN ({})".format(", ".join(f"'{a}'" for a in ACCOUNT_ACTIONS))
# The key of the replayed state: how many account records, the newest one's seq and its hash (a
# restored or different database never matches by chance).
_ACCOUNTS_KEY_SQL = (
    f"(SELECT count(seq) FROM {_ACCOUNT_RECORDS}), (SELECT coalesce(max(seq), 0) FROM {_ACCOUNT_RECORDS}), "
    f"(SELECT hash FROM auditrecord WHERE seq = (SELECT max(seq) FROM {_ACCOUNT_RECORDS}))"
)
# The actor's row and the key above in one round trip (this runs in every write transaction, on the
# driver's connection: assess.foundation.plain_sql).
_ACTOR_SQL = (
    f"SELECT username, role, active, password_hash, unit_code, {_ACCOUNTS_KEY_SQL} FROM app_user WHERE username = :u"
)


def _current_accounts(session: Session | Connection, key: tuple | None = None) -> tuple[dict[str, AccountState], list[str]]:
    """The replayed account records (from the cache when ``key``, read now if not given, still
    matches the database)."""
    conn = plain_sql.connection_of(session)
    if key is None:
        key = tuple(plain_sql.fetchone(conn, f"SELECT {_ACCOUNTS_KEY_SQL}") or ())
    where = str(conn.engine.url)
    cached = _replayed.get(where)
    if cached is not None and cached[0] == key:
        return cached[1]
    state = chain_accounts(conn)
    _replayed[where] = (key, state)
    return state


def account_problem(session: Session | Connection, user: User | SimpleNamespace, key: tuple | None = None) -> str | None:
    """The first way ``user`` (an ``app_user`` row) differs from the audit chain, or None."""
    accounts, chain_problems = _current_accounts(session, key)
    mine = [p for p in chain_problems if f"“{user.username}”" in p]
    found = mine + _row_problems(user.username, user.role, user.active, user.password_hash,
                                 accounts.get(user.username), getattr(user, "unit_code", None))
    return found[0] if found else None


def confirm_actor(session: Session | Connection, actor: Actor) -> None:
    """Inside a write transaction: the actor's account still exists, is active, has the actor's
    role and agrees with the audit chain. On PostgreSQL the row is locked (FOR SHARE) so a
    concurrent deactivation waits for this write or makes it fail; SQLite's write lock is held.
    One query reads the row and the key of the replayed account records."""
    conn = plain_sql.connection_of(session)
    sql = _ACTOR_SQL + (" FOR SHARE OF app_user" if conn.dialect.name == "postgresql" else "")
    row = plain_sql.fetchone(conn, sql, {"u": actor.username})  # plain SQL: runs in every write
    if row is None or not row[2]:
        raise AuthError(f"用户“{actor.username}”不存在或已被停用：不能再执行任何操作，请重新登录。")
    user = SimpleNamespace(username=row[0], role=row[1], active=row[2], password_hash=row[3], unit_code=row[4])
    if user.role != actor.role:
        raise AuthError(f"用户“{actor.username}”的角色已是{ROLES.get(user.role, user.role)}，"
                        f"不再是{ROLES.get(actor.role, actor.role)}：请重新登录。")
    problem = account_problem(conn, user, tuple(row[5:]))
    if problem:
        raise AuthError(f"账户与审计记录不符，已拒绝操作：{problem}。")


# -- the write-transaction hook ---------------------------------------------------------------------

_write_session: ContextVar[Session | Connection | None] = ContextVar("assess_write_session", default=None)
# (actor, frame of the service that authorised it): checked by that service's next write only.
_pending: ContextVar[tuple[Actor, FrameType] | None] = ContextVar("assess_pending_actor", default=None)


def require_current(actor: Actor) -> None:
    """Called by ``authorize``: check the actor in the open write transaction, or in the next write
    transaction the calling service opens."""
    session = _write_session.get()
    if session is not None:
        confirm_actor(session, actor)
    else:
        _pending.set((actor, sys._getframe(2)))  # the service that called authorize


def _on_stack(frame: FrameType) -> bool:
    f: FrameType | None = sys._getframe(1)
    while f is not None:
        if f is frame:
            return True
        f = f.f_back
    return False


@contextmanager
def write_scope(session: Session | Connection) -> Iterator[None]:
    """Wraps every ``Database.write`` (and ``Database.write_connection``, the same on a Core connection): checks the actor the running service authorised before
    opening it, and makes the transaction the one ``authorize`` checks in while it is open. An
    authorisation left by a service that has since returned (it failed before writing) is dropped."""
    token = _write_session.set(session)
    try:
        pending = _pending.get()
        if pending is not None:
            _pending.set(None)
            actor, frame = pending
            if _on_stack(frame):
                confirm_actor(session, actor)
        yield
    finally:
        _write_session.reset(token)


# -- failed logins ----------------------------------------------------------------------------------

def _now() -> datetime:
    return datetime.now(UTC)


def delay_after(failures: int) -> float:
    """Seconds a user name waits after ``failures`` failed logins in a row."""
    if failures < LOCK_AFTER:
        return 0.0
    return min(BASE_DELAY * 2 ** (failures - LOCK_AFTER), MAX_DELAY)


def _aware(t: datetime) -> datetime:
    return t if t.tzinfo is not None else t.replace(tzinfo=UTC)


def login_wait(db: Database, username: str) -> float:
    """Seconds ``username`` must still wait before the next login attempt (0: may try now)."""
    from sqlalchemy import func
    from sqlmodel import select

    from assess.models import LoginFailure

    with db.read() as s:
        n, last = s.exec(
            select(func.count(), func.max(LoginFailure.at)).where(LoginFailure.username == username)
        ).one()
    if not n or last is None:
        return 0.0
    elapsed = (_now() - _aware(last)).total_seconds()
    return max(0.0, delay_after(n) - elapsed)


def record_failure(db: Database, username: str) -> int:
    """Record a failed login durably (a ``login_failure`` row and an audit record); returns the
    number of failures in the current run."""
    from sqlalchemy import func
    from sqlmodel import select

    from assess.models import LoginFailure

    name = username[:64]
    with db.write() as s:
        s.add(LoginFailure(username=name, at=_now()))
        s.flush()
        n = s.exec(select(func.count()).select_from(LoginFailure).where(LoginFailure.username == name)).one()
        audit.append(s, name, "user.login.failed", {"username": name, "failures": n})
    return n


def clear_failures(db: Database, username: str) -> None:
    """End the run of failures of ``username`` (after a successful login)."""
    from sqlalchemy import delete, func
    from sqlmodel import col, select

    from assess.models import LoginFailure

    with db.read() as s:
        n = s.exec(select(func.count()).select_from(LoginFailure).where(LoginFailure.username == username)).one()
    if n:
        with db.write() as s:
            s.exec(delete(LoginFailure).where(col(LoginFailure.username) == username))


def wait_text(seconds: float) -> str:
    s = int(seconds + 0.999)
    if s < 60:
        return f"{s} 秒"
    m, r = divmod(s, 60)
    return f"{m} 分钟" if r == 0 else f"{m} 分 {r} 秒"


def confirm_now(db: Database, actor: Actor) -> None:
    """Check ``actor`` at once in a transaction of its own, for a service whose later writes go to
    a different database state (a restore replaces the whole file)."""
    with db.write() as s:
        _pending.set(None)
        confirm_actor(s, actor)


def discard_pending() -> None:
    """Forget an actor authorised earlier in this context (a login starts afresh)."""
    _pending.set(None)


def authorize(actor: Actor, action: str) -> None:
    if action not in ACTIONS:
        raise KeyError(f"unknown action {action!r}")
    if not allowed(actor.role, action):
        roles, desc = ACTIONS[action]
        names = "、".join(ROLES[r] for r in sorted(roles))
        raise PermissionDenied(f"无权限：{desc}需要{names}角色，当前用户“{actor.username}”是{ROLES.get(actor.role, actor.role)}。")
    # The role table allows it; the account must still be active with that role, checked inside the
    # write transaction (assess/accounts.py), not trusted from the Actor object.
    require_current(actor)
