"""Anchors for the history chains: signed checkpoints of every case's chain head.

A case's chain proves its events were not changed one by one, but whoever can write the database can
delete a whole case, or change an event and compute the chain again. A checkpoint lists every case with
the seq and hash of its chain head, chained to the previous checkpoint and signed (HMAC-SHA256) with a key
kept outside the database (`ZHUNRU_AUDIT_KEY`, or a file named by `ZHUNRU_AUDIT_KEY_FILE`). Exported as
JSON Lines, an auditor keeps them outside the system; `audit verify --anchors` checks the cases against
them."""
import hashlib
import hmac
import json
import os
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal, overload

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.audit.history import GENESIS, canonical
from engine.errors import InvalidInput
from engine.store.models import AuditCheckpoint, Event, Instance

KEY_ENV, KEY_FILE_ENV = "ZHUNRU_AUDIT_KEY", "ZHUNRU_AUDIT_KEY_FILE"
CHECKPOINT = "检查点"  # the instance_id of a failure that concerns the checkpoints themselves


@overload
def key(required: Literal[True] = ...) -> bytes: ...
@overload
def key(required: bool) -> bytes | None: ...
def key(required: bool = True) -> bytes | None:
    """The signing key, from the environment or the file it names; never from the database."""
    value = os.environ.get(KEY_ENV)
    if value:
        return value.encode("utf-8")
    path = os.environ.get(KEY_FILE_ENV)
    if path:
        try:
            content = Path(path).read_bytes().strip()
        except OSError as exc:
            raise InvalidInput(f"无法读取审计签名密钥文件 {path}: {exc.strerror}") from exc
        if content:
            return content
    if required:
        raise InvalidInput(f"未设置审计签名密钥：请设置环境变量 {KEY_ENV}（密钥本身）或 {KEY_FILE_ENV}"
                           "（密钥文件路径）；密钥须保存在数据库之外")
    return None


def _signature(secret: bytes, entry: dict[str, Any]) -> str:
    content = canonical({k: entry[k] for k in ("id", "created_at", "created_by", "heads", "prev_hash")})
    return hmac.new(secret, content.encode("utf-8"), hashlib.sha256).hexdigest()


def _as_dict(row: AuditCheckpoint) -> dict[str, Any]:
    return {"id": row.id, "created_at": row.created_at.astimezone(UTC).isoformat(), "created_by": row.created_by,
            "heads": row.heads, "prev_hash": row.prev_hash, "hash": row.hash}


def entries(session: Session) -> list[dict[str, Any]]:
    return [_as_dict(row) for row in session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.id))]


def write(session: Session, actor: str, now: datetime) -> dict[str, Any]:
    """Record every case's chain head now, chained to the previous checkpoint and signed."""
    secret = key()
    last = session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.id.desc()).limit(1)).first()
    heads = [[i, seq, digest] for i, seq, digest in session.execute(
        select(Instance.id, Instance.event_seq, Instance.event_hash).order_by(Instance.id))]
    entry = {"id": (last.id if last else 0) + 1, "created_at": now.astimezone(UTC).isoformat(),
             "created_by": actor, "heads": heads, "prev_hash": last.hash if last else GENESIS}
    entry["hash"] = _signature(secret, entry)
    session.add(AuditCheckpoint(id=entry["id"], created_at=now, created_by=actor, heads=heads,
                                prev_hash=entry["prev_hash"], hash=entry["hash"]))
    session.flush()
    return entry


def write_if_due(session: Session, now: datetime, every: timedelta) -> dict[str, Any] | None:
    """The worker's periodic checkpoint: written when a key is set and the newest is older than `every`; of
    several workers ticking at once, one writes it (the others find its number taken)."""
    if key(required=False) is None:
        return None
    newest = session.scalar(select(func.max(AuditCheckpoint.created_at)))
    if newest is not None and newest > now - every:
        return None
    try:
        with session.begin_nested():
            return write(session, "system", now)
    except IntegrityError:
        return None


def to_jsonl(found: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(e, ensure_ascii=False, sort_keys=True) + "\n" for e in found)


def read_jsonl(path: str) -> list[dict[str, Any]]:
    """Checkpoints an auditor exported."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"无法读取检查点文件 {path}: {exc}") from exc
    found = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except ValueError as exc:
            raise InvalidInput(f"检查点文件 {path} 第 {number} 行不是 JSON") from exc
        if not isinstance(entry, dict) or not {"id", "created_at", "created_by", "heads", "prev_hash",
                                               "hash"} <= entry.keys():
            raise InvalidInput(f"检查点文件 {path} 第 {number} 行不是检查点")
        found.append(entry)
    return found


def _failure(instance_id: str, seq: int, reason: str) -> dict[str, Any]:
    return {"instance_id": instance_id, "seq": seq, "reason": reason}


def check_chain(found: list[dict[str, Any]], source: str) -> list[dict[str, Any]]:
    """Each checkpoint follows the previous one and carries its signature (when the key is at hand)."""
    secret, failures, previous = key(required=False), [], GENESIS
    for entry in found:
        if entry["prev_hash"] != previous:
            failures.append(_failure(CHECKPOINT, entry["id"], f"{source}第 {entry['id']} 号检查点与前一检查点的链接不符"
                                                              "（检查点被删除、插入或改动）"))
        elif secret is not None and not hmac.compare_digest(_signature(secret, entry), str(entry["hash"])):
            failures.append(_failure(CHECKPOINT, entry["id"], f"{source}第 {entry['id']} 号检查点的签名不符（被改动）"))
        previous = entry["hash"]
    return failures


def compare(stored: list[dict[str, Any]], exported: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The database still holds every exported checkpoint, unchanged."""
    by_id = {e["id"]: e for e in stored}
    failures = []
    for entry in exported:
        mine = by_id.get(entry["id"])
        if mine is None:
            failures.append(_failure(CHECKPOINT, entry["id"], f"数据库中缺少导出的第 {entry['id']} 号检查点（被删除）"))
        elif mine["hash"] != entry["hash"] or mine["heads"] != entry["heads"]:
            failures.append(_failure(CHECKPOINT, entry["id"],
                                     f"数据库中的第 {entry['id']} 号检查点与导出的不同（被改动）"))
    return failures


def check_heads(session: Session, found: list[dict[str, Any]], instance_ids: list[str] | None, source: str
                ) -> dict[str, dict[str, Any]]:
    """Every case a checkpoint lists still exists and its chain still passes through the head it had:
    the first failure of each case, by case id."""
    wanted: dict[str, list[tuple[int, str, int]]] = defaultdict(list)
    for entry in found:
        for instance_id, seq, digest in entry["heads"]:
            if instance_ids is None or instance_id in instance_ids:
                wanted[instance_id].append((int(seq), digest, entry["id"]))
    if not wanted:
        return {}
    present = set(session.scalars(select(Instance.id).where(Instance.id.in_(list(wanted)))))
    hashes = {(i, seq): digest for i, seq, digest in session.execute(
        select(Event.instance_id, Event.seq, Event.hash).where(Event.instance_id.in_(list(present))))}
    failures: dict[str, dict[str, Any]] = {}
    for instance_id, heads in wanted.items():
        for seq, digest, number in sorted(heads):
            if instance_id not in present:
                reason = f"办件已被删除（{source}第 {number} 号检查点记录其链尾为第 {seq} 号事件）"
            elif seq > 0 and (instance_id, seq) not in hashes:
                reason = f"第 {seq} 号事件已不存在（{source}第 {number} 号检查点记录了它）"
            elif seq > 0 and hashes[(instance_id, seq)] != digest:
                reason = (f"第 {seq} 号事件的哈希与{source}第 {number} 号检查点记录的不符"
                          "（事件被改动后哈希链被重新计算）")
            else:
                continue
            failures[instance_id] = _failure(instance_id, seq, reason)
            break
    return failures
