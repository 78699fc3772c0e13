"""Evidence files: stored with SHA-256, size and type checked, referenced from form data by id.

Evidence cannot be borrowed: a submission may link only files its submitter uploaded and no case uses yet
(`pending_upload`), or files the case already uses (its readers see them already). A user holds at most a
setting's number of unused uploads, and the worker deletes those older than a setting's age.
"""
import hashlib
import mimetypes
import uuid
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, delete, func, or_, select
from sqlalchemy.orm import Session

from engine import inputs, settings
from engine.errors import InvalidInput, NotFound
from engine.store import direct
from engine.store.db import conflict_insert
from engine.store.models import FileUse, PendingUpload, StoredFile

MAX_SIZE = 20 * 1024 * 1024
MAX_NAME = 200  # characters of a file name
ALLOWED_TYPES = {
    "application/pdf", "image/png", "image/jpeg", "text/plain", "text/csv",
    "application/msword", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.ms-excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/zip", "application/ofd",
}


def guess_type(filename: str) -> str:
    if filename.lower().endswith(".ofd"):
        return "application/ofd"
    return mimetypes.guess_type(filename)[0] or "application/octet-stream"


def check_name(filename: str) -> None:
    """A file name is shown, stored (String(300)) and sent back in a header: no control characters, no lone
    surrogates, at most MAX_NAME characters."""
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in filename):
        raise InvalidInput(f"文件名 {inputs.shown(filename)} 含有不允许的控制字符 (如空字符、换行或回车)")
    inputs.check_text(filename, "文件名")
    if len(filename) > MAX_NAME:
        raise InvalidInput(f"文件名 {inputs.shown(filename, 40)} 过长 ({len(filename)} 个字符，不超过 {MAX_NAME} 个)")


def store(session: Session, *, filename: str, content: bytes, actor: str, now: datetime,
          content_type: str | None = None) -> StoredFile:
    """Keep one uploaded file; refuse empty, oversized or unexpected types with the reason."""
    check_name(filename)
    content_type = content_type or guess_type(filename)
    if not content:
        raise InvalidInput(f"文件 {filename} 是空的")
    if len(content) > MAX_SIZE:
        raise InvalidInput(f"文件 {filename} 超过 {MAX_SIZE // (1024 * 1024)} MB 上限")
    if content_type not in ALLOWED_TYPES:
        raise InvalidInput(
            f"文件 {filename} 的类型 {content_type} 不允许 (可上传 PDF、图片、Office 文档、OFD、文本、ZIP)")
    row = StoredFile(id=uuid.uuid4().hex, sha256=hashlib.sha256(content).hexdigest(), filename=filename,
                     content_type=content_type, size=len(content), content=content, uploaded_by=actor,
                     uploaded_at=now)
    session.add(row)
    session.flush()
    session.add(PendingUpload(file_id=row.id, uploaded_by=actor, uploaded_at=now))  # until a case links it
    session.flush()
    return row


def upload(session: Session, filename: str, content: bytes, actor: str, now: datetime) -> StoredFile:
    """A user's upload (page, API, CLI): refused while they hold the setting's number of unused uploads."""
    stored = settings.values(session)
    most = int(stored["upload_unlinked_max"])
    held = session.execute(select(func.count()).select_from(PendingUpload)
                           .where(PendingUpload.uploaded_by == actor)).scalar_one()
    if held >= most:
        raise InvalidInput(f"用户 {actor} 已有 {held} 个上传后尚未在表单中使用的文件，达到上限 {most} 个："
                           f"请先在表单中使用它们，或等待超过 {stored['upload_unlinked_days']} "
                           "天未使用的文件被清理")
    return store(session, filename=filename, content=content, actor=actor, now=now)


def clean_unlinked(session: Session, now: datetime, batch: int = 500) -> int:
    """Delete up to `batch` uploads no case has used that are older than the setting's age; returns how many."""
    cutoff = now - timedelta(days=int(settings.values(session)["upload_unlinked_days"]))
    ids = list(session.scalars(select(PendingUpload.file_id).where(PendingUpload.uploaded_at < cutoff)
                               .order_by(PendingUpload.uploaded_at).limit(batch)))
    if not ids:
        return 0
    session.execute(delete(PendingUpload).where(PendingUpload.file_id.in_(ids)))
    used = select(FileUse.file_id).where(FileUse.file_id.in_(ids))  # never a file a case references
    session.execute(delete(StoredFile).where(StoredFile.id.in_(ids), StoredFile.id.not_in(used))
                    .execution_options(synchronize_session=False))
    return len(ids)


def get(session: Session, file_id: str) -> StoredFile:
    row = session.get(StoredFile, file_id)
    if row is None:
        raise NotFound(f"文件 {file_id} 不存在", what="file", key=file_id)
    return row


# Built once, as commands check and link evidence on every step; the content column is never read here.
_FILES, _USES, _PENDING = StoredFile.__table__, FileUse.__table__, PendingUpload.__table__
_USE: dict[str, Any] = {}  # by dialect: INSERT … ON CONFLICT DO NOTHING
_UNPEND = delete(_PENDING).where(_PENDING.c.file_id == bindparam("f"))


@lru_cache(maxsize=16)
def _digests(count: int) -> Any:
    """For `count` ids: a form names a few files, and an expanding IN would be compiled on every call."""
    return select(_FILES.c.id, _FILES.c.sha256).where(_FILES.c.id.in_([bindparam(f"id{i}") for i in range(count)]))


def digests(session: Session, file_ids: list[str]) -> dict[str, str]:
    """The SHA-256 of each of these files that exists, by id."""
    ids = list(dict.fromkeys(file_ids))
    return dict(direct.rows(session, _digests(len(ids)), {f"id{i}": f for i, f in enumerate(ids)})) if ids else {}


@lru_cache(maxsize=16)
def _usable(count: int) -> Any:
    own = select(_PENDING.c.file_id).where(_PENDING.c.file_id == _FILES.c.id,
                                          _PENDING.c.uploaded_by == bindparam("actor")).exists()
    in_case = select(_USES.c.file_id).where(_USES.c.file_id == _FILES.c.id,
                                           _USES.c.instance_id.in_([bindparam("case"), bindparam("source")])).exists()
    return (select(_FILES.c.id, _FILES.c.sha256)
            .where(_FILES.c.id.in_([bindparam(f"id{i}") for i in range(count)]), or_(own, in_case)))


def usable(session: Session, file_ids: list[str], actor: str, case: str | None,
           source: str | None = None) -> dict[str, str]:
    """The SHA-256 by id of each of these files `actor` may link to `case` (None: a case being started): their
    own uploads no case uses yet, and files the case (or the case starting it, `source`) already uses. Others'
    files, and one's own once linked to another case, are missing: a submission naming them is refused."""
    ids = list(dict.fromkeys(file_ids))
    if not ids:
        return {}
    params = {f"id{i}": f for i, f in enumerate(ids)} | {"actor": actor, "case": case, "source": source}
    return dict(direct.rows(session, _usable(len(ids)), params))


def link(session: Session, file_ids: list[str], instance_id: str, task_name: str | None, now: datetime) -> None:
    """Record that a case's form data references these files (who may see the case may download them); a
    file the case already uses keeps its first use."""
    if not file_ids:
        return
    dialect = session.get_bind().dialect.name
    if dialect not in _USE:
        _USE[dialect] = conflict_insert(session, _USES).on_conflict_do_nothing()
    direct.execute(session, _USE[dialect], [{"file_id": f, "instance_id": instance_id, "task_name": task_name,
                                            "used_at": now} for f in dict.fromkeys(file_ids)])
    direct.execute(session, _UNPEND, [{"f": f} for f in dict.fromkeys(file_ids)])  # used: no longer pending


def of_instance(session: Session, instance_id: str) -> list[dict]:
    rows = session.execute(select(StoredFile, FileUse.task_name).join(FileUse, FileUse.file_id == StoredFile.id)
                           .where(FileUse.instance_id == instance_id).order_by(FileUse.used_at, StoredFile.filename))
    return [{"file_id": f.id, "filename": f.filename, "sha256": f.sha256, "size": f.size,
             "content_type": f.content_type, "uploaded_by": f.uploaded_by, "task_name": task_name}
            for f, task_name in rows]
