"""The registers' tables: ledgers, typical-case notices, circulars, the credit outbox, the archive and its
counters. They share the engine's metadata, so one Alembic history migrates them all."""
from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.models import Base


class LedgerItem(Base):
    """One line of a ledger staff keep (工作台账): a complaint, or a problem to rectify (问题台账)."""

    __tablename__ = "ledger_item"
    __table_args__ = (UniqueConstraint("instance_id", "item_key"),
                      Index("ix_ledger_item_ledger_status", "ledger", "status"))
    id: Mapped[int] = mapped_column(primary_key=True)
    ledger: Mapped[str] = mapped_column(String(32))  # complaint | rectification
    instance_id: Mapped[str] = mapped_column(ForeignKey("instance.id"), index=True)
    item_key: Mapped[str] = mapped_column(String(100))  # unique within the case
    source: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(300))
    organisation: Mapped[str | None] = mapped_column(String(64), index=True)  # responsible unit
    person: Mapped[str | None] = mapped_column(String(100))
    deadline: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(32))
    opened_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Notice(Base):
    """A published typical-case notice (典型案例通报, 第N期), readable by the public."""

    __tablename__ = "notice"
    __table_args__ = (UniqueConstraint("year", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int]
    number: Mapped[int]
    title: Mapped[str] = mapped_column(String(300))
    cases: Mapped[list[Any]] = mapped_column(default=list)
    portal_text: Mapped[str] = mapped_column(Text)
    wechat_text: Mapped[str] = mapped_column(Text)
    instance_id: Mapped[str] = mapped_column(ForeignKey("instance.id"), unique=True)
    published_at: Mapped[datetime] = mapped_column(index=True)
    published_by: Mapped[str] = mapped_column(String(64))


class Circular(Base):
    """A circular (通报) a region issues to its own units, e.g. 0137's 全市通报 of a delay (L§12(六)); numbered
    per region and year (第N期), read in the product by the region's units, not by the public."""

    __tablename__ = "circular"
    __table_args__ = (UniqueConstraint("region", "year", "number"),
                      Index("ix_circular_region_published", "region", "published_at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    region: Mapped[str] = mapped_column(String(64))  # the government of the region it is issued in
    year: Mapped[int]
    number: Mapped[int]
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    issuer: Mapped[str] = mapped_column(String(64))
    instance_id: Mapped[str] = mapped_column(ForeignKey("instance.id"), index=True)
    published_at: Mapped[datetime]
    published_by: Mapped[str] = mapped_column(String(64))


class CreditRecord(Base):
    """Outbox to the credit-information sharing platform; the platform collects an export file."""

    __tablename__ = "credit_record"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(300))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    instance_id: Mapped[str] = mapped_column(ForeignKey("instance.id"), index=True)
    created_at: Mapped[datetime]
    exported_at: Mapped[datetime | None] = mapped_column(index=True)
    export_file: Mapped[str | None] = mapped_column(String(300))


class ArchiveCounter(Base):
    """The last archive number given per prefix and year; numbers are never reused."""

    __tablename__ = "archive_counter"
    prefix: Mapped[str] = mapped_column(String(16), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    last: Mapped[int] = mapped_column(default=0)


class ArchiveEntry(Base):
    """A registered case in the archive catalogue (案例资料档案目录)."""

    __tablename__ = "archive_entry"
    archive_no: Mapped[str] = mapped_column(String(32), primary_key=True)
    year: Mapped[int] = mapped_column(index=True)
    category: Mapped[str] = mapped_column(String(32), index=True)
    importance: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text)
    source_unit: Mapped[str | None] = mapped_column(String(64))
    source_instance: Mapped[str | None] = mapped_column(String(32), index=True)
    case_date: Mapped[date]
    files: Mapped[list[Any]] = mapped_column(default=list)
    instance_id: Mapped[str] = mapped_column(ForeignKey("instance.id"), unique=True)
    registered_at: Mapped[datetime]
    registered_by: Mapped[str] = mapped_column(String(64))
    reviewed_at: Mapped[datetime | None]
