"""PostgreSQL least privilege: an owner role that runs the migrations and so owns the schema, the
tables and the freeze triggers, and an application role the app connects with, which can only read
and write rows.

The application role gets SELECT, INSERT, UPDATE and DELETE on the tables (UPDATE also lets it take
the audit head row lock, ``SELECT … FOR UPDATE``) and USAGE and SELECT on the sequences; nothing
else. Only a table's owner may ``DROP TRIGGER``, ``ALTER TABLE … DISABLE TRIGGER`` or ``DROP TABLE``;
``TRUNCATE`` needs its own privilege, which is not granted; ``CREATE TABLE`` needs CREATE on the
schema, which PostgreSQL 15 and later no longer give to PUBLIC (and ``roles_sql`` revokes it anyway).
See README, "服务器部署".
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from assess.foundation.errors import AssessError

if TYPE_CHECKING:
    from assess.foundation.db import Database

DEFAULT_OWNER = "assess_owner"
DEFAULT_APP = "assess_app"
DEFAULT_DATABASE = "assess"
_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def check_name(name: str, what: str = "角色名") -> str:
    if not _NAME.match(name):
        raise AssessError(f"{what}“{name}”无效：只能用小写字母、数字和下划线，且不以数字开头。")
    return name


def roles_sql(owner: str = DEFAULT_OWNER, app: str = DEFAULT_APP, database: str = DEFAULT_DATABASE) -> str:
    """The SQL a superuser runs once (``psql -f``) to create both roles and the database."""
    for n in (owner, app, database):
        check_name(n)
    return f"""-- 以超级用户运行一次：psql -U postgres -f roles.sql
-- {owner}：所有者（迁移）角色，拥有数据库结构、表和触发器，只用于 assess init。
-- {app}：应用角色，界面和日常命令使用它，只能读写数据行。
CREATE ROLE {owner} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE;
CREATE ROLE {app} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT;
CREATE DATABASE {database} OWNER {owner};
REVOKE ALL ON DATABASE {database} FROM PUBLIC;
GRANT CONNECT ON DATABASE {database} TO {app};
\\connect {database}
ALTER SCHEMA public OWNER TO {owner};
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO {app};
-- 设置密码（不写进文件）：\\password {owner} 与 \\password {app}
-- 然后以所有者角色建表并授权：
--   assess init --db 'postgresql+psycopg://{owner}@主机/{database}' --app-role {app}
-- 配置文件 /etc/assess/config.toml 中的 database 使用应用角色：
--   database = "postgresql+psycopg://{app}@主机/{database}"
"""


def grant_statements(app: str, owner: str) -> list[str]:
    """Run by the owner after the migrations: row access for ``app`` on what exists now and on what
    later migrations create."""
    check_name(app)
    check_name(owner)
    return [
        "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
        f"GRANT USAGE ON SCHEMA public TO {app}",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {app}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {app}",
        f"REVOKE INSERT, UPDATE, DELETE ON alembic_version FROM {app}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {app}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {app}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {app}",
    ]


def current_role(db: Database) -> str:
    from sqlalchemy import text

    with db.engine.connect() as conn:
        return conn.execute(text("SELECT current_user")).scalar_one()


def role_exists(db: Database, name: str) -> bool:
    from sqlalchemy import text

    with db.engine.connect() as conn:
        return conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :n"), {"n": name}).first() is not None


def grant_app_role(db: Database, app: str) -> None:
    """Give ``app`` row access to every table; the connected role must own them (``assess init``
    with the owner's URL)."""
    from sqlalchemy import text

    if db.is_sqlite:
        raise AssessError("应用角色只用于 PostgreSQL。")
    check_name(app)
    owner = current_role(db)
    if app == owner:
        raise AssessError(f"应用角色不能是所有者角色本身（{owner}）。")
    if not role_exists(db, app):
        raise AssessError(f"PostgreSQL 角色 {app} 不存在：先以超级用户运行 assess init --print-roles-sql 打印的语句。")
    with db.engine.begin() as conn:
        for stmt in grant_statements(app, owner):
            conn.execute(text(stmt))


def owned_tables(db: Database) -> list[str]:
    """Tables of the public schema owned by the connected role (for ``assess doctor``: the app's
    role should own none)."""
    from sqlalchemy import text

    with db.engine.connect() as conn:
        return [r[0] for r in conn.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tableowner = current_user "
            "ORDER BY tablename"))]


def is_superuser(db: Database) -> bool:
    from sqlalchemy import text

    with db.engine.connect() as conn:
        return bool(conn.execute(text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")).scalar())
