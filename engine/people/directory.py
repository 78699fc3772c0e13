"""Organisations and users: who belongs where and with which roles."""
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine import settings
from engine.errors import Conflict, InvalidInput, NotFound
from engine.store.models import ApiToken, Organisation, User

ROLES = {"handler": "经办人", "leader": "负责人", "admin": "管理员", "process_admin": "流程管理员", "auditor": "审计员",
         "platform": "平台接口"}


@dataclass(frozen=True)
class Actor:
    """The user a command acts for, as the engine needs to know them."""

    username: str
    organisation: str | None
    roles: tuple[str, ...]

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles

    @property
    def is_leader(self) -> bool:
        return "leader" in self.roles

    @property
    def is_platform(self) -> bool:
        """Another system's account (the 12345 hotline): it starts the cases its unit may start and
        follows those, but holds no task and sees no other case of its unit."""
        return "platform" in self.roles

    @property
    def audits(self) -> bool:
        return self.is_admin or "auditor" in self.roles

    @property
    def owns_processes(self) -> bool:
        return self.is_admin or "process_admin" in self.roles


SYSTEM = Actor("system", None, ())

KINDS = {"government": "人民政府", "department": "部门"}


def actor(session: Session, username: str) -> Actor:
    """Look a user up; a name that is not a user is refused, never guessed."""
    row = session.execute(
        select(User, Organisation.code).outerjoin(Organisation, User.organisation_id == Organisation.id)
        .where(User.username == username)).first()
    if row is None:
        raise NotFound(f"用户 {username} 不存在", what="user", key=username)
    user, org_code = row
    return Actor(user.username, org_code, tuple(user.roles))


def actor_or_none(session: Session, username: str) -> Actor | None:
    try:
        return actor(session, username)
    except NotFound:
        return None


def organisation(session: Session, code: str) -> Organisation | None:
    return session.scalars(select(Organisation).where(Organisation.code == code)).first()


def add_organisation(session: Session, *, code: str, name: str, kind: str, parent: str | None, now: datetime,
                     actor: str = "admin", function: str | None = None,
                     number_prefix: str | None = None) -> Organisation:
    if not code or not code.replace("_", "").isalnum() or len(code) > 64:
        raise InvalidInput(f"单位代码 {code!r} 只能含字母、数字和下划线 (不超过 64 个字符)")
    if not name or len(name) > 200:
        raise InvalidInput("单位名称不能为空，且不超过 200 个字符")
    if kind not in KINDS:
        raise InvalidInput(f"单位类型 {kind!r} 无效 (可选: {', '.join(f'{k} {v}' for k, v in KINDS.items())})")
    if number_prefix is not None and not (number_prefix.isascii() and number_prefix.isalnum()
                                          and len(number_prefix) <= 16):
        raise InvalidInput(f"编号前缀 {number_prefix!r} 只能含字母和数字 (不超过 16 个字符)")
    if number_prefix is not None and kind != "government":
        raise InvalidInput("编号前缀属于地区，只能设在人民政府上")
    if organisation(session, code) is not None:
        raise Conflict(f"单位代码 {code} 已存在")
    parent_row = None
    if parent is not None:
        parent_row = organisation(session, parent)
        if parent_row is None:
            raise NotFound(f"上级单位 {parent} 不存在", what="organisation", key=parent)
    org = Organisation(code=code, name=name, kind=kind, parent_id=parent_row.id if parent_row else None,
                       function=function or None, number_prefix=number_prefix or None)
    session.add(org)
    session.flush()
    settings.new_revision(session, settings.DIRECTORY_REVISION, actor, now)
    return org


_codes: dict[str, Mapping[str, str | None]] = {}


def codes(session: Session, stored_settings: dict[str, str] | None = None) -> Mapping[str, str | None]:
    """Every organisation code with its function; reread only when an organisation was added since (any
    process)."""
    revision = (stored_settings or settings.values(session)).get(settings.DIRECTORY_REVISION)
    if revision and revision in _codes:
        return _codes[revision]
    found = MappingProxyType(dict(session.execute(select(Organisation.code, Organisation.function)).all()))
    if revision:
        _codes.clear()
        _codes[revision] = found
    return found


MAX_USERNAME, MAX_DISPLAY_NAME = 64, 200  # the columns' lengths


def add_user(session: Session, *, username: str, display_name: str, organisation_code: str | None,
             roles: list[str], now: datetime, password_hash: str | None = None) -> User:
    if not username or not username.replace("_", "").replace("-", "").isalnum():
        raise InvalidInput(f"用户名 {username!r} 只能含字母、数字、下划线和连字符")
    if len(username) > MAX_USERNAME:  # the column holds 64 (PostgreSQL would refuse the row)
        raise InvalidInput(f"用户名 {username[:20]}… 过长 ({len(username)} 个字符，不超过 {MAX_USERNAME} 个)")
    if len(display_name or "") > MAX_DISPLAY_NAME or any(ord(ch) < 0x20 for ch in display_name or ""):
        raise InvalidInput(f"姓名 {(display_name or '')[:20]!r} 过长或含有控制字符 (不超过 {MAX_DISPLAY_NAME} 个字符)")
    # Besides the standard roles, a role may name a group that lanes without an organisation use.
    bad = [r for r in roles if not r or any(ch.isspace() for ch in r)]
    if bad:
        raise InvalidInput(f"角色名 {bad!r} 无效 (标准角色: {', '.join(ROLES)}; 也可为泳道组名)")
    if session.scalars(select(User).where(User.username == username)).first() is not None:
        raise Conflict(f"用户 {username} 已存在")
    org_id = None
    if organisation_code is not None:
        org = organisation(session, organisation_code)
        if org is None:
            raise NotFound(f"单位 {organisation_code} 不存在", what="organisation", key=organisation_code)
        org_id = org.id
    user = User(username=username, display_name=display_name, organisation_id=org_id, roles=roles,
                password_hash=password_hash, created_at=now)
    session.add(user)
    session.flush()
    return user


def users(session: Session) -> list[dict]:
    rows = session.execute(
        select(User, Organisation.code).outerjoin(Organisation, User.organisation_id == Organisation.id)
        .order_by(User.username))
    return [{"username": u.username, "display_name": u.display_name, "organisation": code, "roles": u.roles,
             "disabled": u.disabled_at is not None} for u, code in rows]


def user_row(session: Session, username: str) -> User:
    user = session.scalars(select(User).where(User.username == username)).first()
    if user is None:
        raise NotFound(f"用户 {username} 不存在", what="user", key=username)
    return user


def end_sessions(session: Session, username: str, now: datetime) -> User:
    """End every session and every API token of the user at once: sign-out, a new password, disabling and
    revocation all come here. Sessions carry the epoch they began with; tokens are marked revoked."""
    user = user_row(session, username)
    user.session_epoch = User.session_epoch + 1  # in SQL: two processes ending sessions both count
    session.execute(update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
                    .values(revoked_at=now))
    session.flush()
    return user


def disable(session: Session, username: str, now: datetime) -> None:
    """The user can no longer sign in or use a token; their history and tasks stay."""
    end_sessions(session, username, now).disabled_at = now


def enable(session: Session, username: str) -> None:
    """Sign-in with the password works again; ended sessions and tokens stay ended."""
    user_row(session, username).disabled_at = None


def subtree(session: Session, code: str) -> frozenset[str]:
    """An organisation and every organisation below it (an auditor's jurisdiction)."""
    rows = session.execute(select(Organisation.id, Organisation.code, Organisation.parent_id)).all()
    children: dict[int | None, list[tuple[int, str]]] = {}
    start = None
    for org_id, org_code, parent in rows:
        children.setdefault(parent, []).append((org_id, org_code))
        if org_code == code:
            start = org_id
    if start is None:
        return frozenset()
    found, stack = {code}, [start]
    while stack:
        for child_id, child_code in children.get(stack.pop(), []):
            found.add(child_code)
            stack.append(child_id)
    return frozenset(found)


def organisations(session: Session) -> list[Organisation]:
    return list(session.scalars(select(Organisation).order_by(Organisation.id)))


def names(session: Session) -> dict[str, str]:
    """Organisation code → name, for pages and exports that show units by name."""
    return dict(session.execute(select(Organisation.code, Organisation.name).order_by(Organisation.id)).all())
