"""Database tables: definitions, instance state with its projections, history, organisations."""
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator):
    """Aware datetimes stored as UTC, so SQLite and PostgreSQL compare them alike."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}
    if TYPE_CHECKING:
        # Every model here is declared with __tablename__, so its __table__ is a Table (the Core statements
        # built once from it take a Table, not any FromClause).
        __table__: ClassVar[Table]


class Organisation(Base):
    __tablename__ = "organisation"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))  # government | department
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    # What a department does in its region (e.g. ndrc): lanes find "the ndrc of this region" by it.
    function: Mapped[str | None] = mapped_column(String(32))
    # A government's prefix for the numbers its region issues (LF → LF-2026-0001).
    number_prefix: Mapped[str | None] = mapped_column(String(16))


class User(Base):
    __tablename__ = "user_account"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    roles: Mapped[list[Any]] = mapped_column(default=list)
    password_hash: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime]
    # Raised by sign-out, a password change, disabling and token revocation: every session of the user
    # carries the value it began with and ends when they differ (engine/credentials.py).
    session_epoch: Mapped[int] = mapped_column(default=0, server_default="0")
    disabled_at: Mapped[datetime | None]


class Definition(Base):
    """One deployed version of one process: the XML as deployed, never edited afterwards."""

    __tablename__ = "definition"
    __table_args__ = (UniqueConstraint("process_id", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[str] = mapped_column(String(200), index=True)
    version: Mapped[int]
    name: Mapped[str] = mapped_column(String(300))
    filename: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64))
    xml: Mapped[str] = mapped_column(Text)
    # Other deployed definitions whose processes this one calls (call activities).
    dependencies: Mapped[list[Any]] = mapped_column(default=list)
    # The version of each form its tasks use, fixed when this version was deployed.
    form_versions: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # The version of each decision table its business rule tasks (and called processes') evaluate.
    decision_versions: Mapped[dict[str, Any]] = mapped_column(default=dict)
    deployed_at: Mapped[datetime]
    deployed_by: Mapped[str] = mapped_column(String(64))


class DecisionDefinition(Base):
    """One deployed version of one DMN decision table (keyed by its decision id), never edited afterwards."""

    __tablename__ = "decision_definition"
    __table_args__ = (UniqueConstraint("decision_key", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    decision_key: Mapped[str] = mapped_column(String(200), index=True)
    version: Mapped[int]
    name: Mapped[str] = mapped_column(String(300))
    filename: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64))
    xml: Mapped[str] = mapped_column(Text)
    deployed_at: Mapped[datetime]
    deployed_by: Mapped[str] = mapped_column(String(64))


class FormDefinition(Base):
    __tablename__ = "form_definition"
    __table_args__ = (UniqueConstraint("form_key", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    form_key: Mapped[str] = mapped_column(String(200), index=True)
    version: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    schema: Mapped[dict[str, Any]]
    deployed_at: Mapped[datetime]
    deployed_by: Mapped[str] = mapped_column(String(64))


class Instance(Base):
    __tablename__ = "instance"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    process_id: Mapped[str] = mapped_column(String(200), index=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("definition.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)  # running|completed|error|cancelled
    title: Mapped[str] = mapped_column(String(300))
    state: Mapped[str] = mapped_column(Text)  # Spiff serialization without the spec
    row_version: Mapped[int] = mapped_column(Integer, default=1)
    started_by: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]
    error_task: Mapped[str | None] = mapped_column(String(200))
    error_message: Mapped[str | None] = mapped_column(Text)
    event_seq: Mapped[int] = mapped_column(default=0)  # head of the history chain
    event_hash: Mapped[str] = mapped_column(String(64), default="0" * 64)
    subject_key: Mapped[str | None] = mapped_column(String(200), index=True)  # repeat complaints link by it
    __mapper_args__ = {"version_id_col": row_version}


class HumanTask(Base):
    """Projection: one row per ready user or manual task, rewritten with the state."""

    __tablename__ = "human_task"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # Spiff task id
    instance_id: Mapped[str] = mapped_column(ForeignKey("instance.id"), index=True)
    process_id: Mapped[str] = mapped_column(String(200))
    task_name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(300))
    lane: Mapped[str | None] = mapped_column(String(200))
    organisation: Mapped[str | None] = mapped_column(String(64))
    group_name: Mapped[str | None] = mapped_column(String(200))
    assignee: Mapped[str | None] = mapped_column(String(64))
    form_key: Mapped[str | None] = mapped_column(String(200))
    form_version: Mapped[int | None]
    created_at: Mapped[datetime]
    due_at: Mapped[datetime | None]
    due_provisional: Mapped[bool] = mapped_column(Boolean, default=False)  # counted Monday–Friday
    remind_at: Mapped[datetime | None]  # from then on the card is yellow (due within a working day)
    reminded_at: Mapped[datetime | None]  # when the 催办 reminder went out
    __table_args__ = (
        # A unit's page walks this index in due order; its count reads the covering one, never the table.
        Index("ix_human_task_org_due", "organisation", "due_at", "created_at", "id"),
        Index("ix_human_task_org_filters", "organisation", "process_id", "group_name", "assignee", "due_at"),
        Index("ix_human_task_assignee_due", "assignee", "due_at"),
    )


class Timer(Base):
    """Projection: one row per waiting timer event or pending reminder, indexed by when it falls due."""

    __tablename__ = "timer"
    __table_args__ = (Index("ix_timer_kind_due", "kind", "due_at"),)  # a tick reads deadlines, then reminders
    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # Spiff task id; "remind:" + task id
    instance_id: Mapped[str] = mapped_column(ForeignKey("instance.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="event")  # event | reminder
    task_name: Mapped[str] = mapped_column(String(200))
    attached_to: Mapped[str | None] = mapped_column(String(200))  # the activity a boundary timer guards
    due_at: Mapped[datetime]
    # How the deadline was computed, so it can be recomputed when a holiday year is imported.
    rule: Mapped[str | None] = mapped_column(String(16))  # working | calendar
    rule_days: Mapped[int | None]
    received_at: Mapped[datetime | None]
    provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    # Firing that failed is retried with backoff and shows as an incident meanwhile.
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)


class CalendarYear(Base):
    """A year whose official holiday schedule is loaded; days of other years count Monday–Friday."""

    __tablename__ = "calendar_year"
    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    source: Mapped[str] = mapped_column(String(300))
    loaded_at: Mapped[datetime]
    loaded_by: Mapped[str] = mapped_column(String(64))


class CalendarDay(Base):
    """A statutory holiday or a make-up workday (调休上班日) of a loaded year."""

    __tablename__ = "calendar_day"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # holiday | workday
    name: Mapped[str] = mapped_column(String(200))


class CalendarRevision(Base):
    """The working calendar as it was between two changes; each event names the one it ran under,
    so a replay counts deadlines exactly as they were counted."""

    __tablename__ = "calendar_revision"
    token: Mapped[str] = mapped_column(String(32), primary_key=True)
    days: Mapped[dict[str, Any]]  # ISO date -> holiday | workday
    years: Mapped[list[Any]]
    close_of_business: Mapped[str] = mapped_column(String(5))
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(64))


class Setting(Base):
    """Local practice that is not national law, e.g. the close-of-business time."""

    __tablename__ = "setting"
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(String(1000))
    updated_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(String(64))


class Event(Base):
    """Append-only history; each row's hash covers the previous row's hash."""

    __tablename__ = "event"
    __table_args__ = (
        UniqueConstraint("instance_id", "seq"),  # also the index of a case's events
        # A person's 已办 list, newest first; partial, so only a completion (one per command) writes to it.
        Index("ix_event_completed_by", "actor", "at", sqlite_where=text("kind = 'task_completed'"),
              postgresql_where=text("kind = 'task_completed'")),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[str] = mapped_column(String(32))
    seq: Mapped[int]
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    task_id: Mapped[str | None] = mapped_column(String(36))
    task_name: Mapped[str | None] = mapped_column(String(200))
    data: Mapped[dict[str, Any]]
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class StoredFile(Base):
    """Evidence and attachments, identified by id and covered by their SHA-256."""

    __tablename__ = "stored_file"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    filename: Mapped[str] = mapped_column(String(300))
    content_type: Mapped[str] = mapped_column(String(200))
    size: Mapped[int]
    content: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime]


class PendingUpload(Base):
    """A stored file no case references yet: only its uploader may link it (then this row goes), a user may hold
    a setting's number of them, and they are deleted after a setting's age (engine/files.py)."""

    __tablename__ = "pending_upload"
    file_id: Mapped[str] = mapped_column(ForeignKey("stored_file.id"), primary_key=True)
    uploaded_by: Mapped[str] = mapped_column(String(64), index=True)
    uploaded_at: Mapped[datetime] = mapped_column(index=True)


class Notification(Base):
    """In-app message to a unit (notify_unit, escalate)."""

    __tablename__ = "notification"
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation: Mapped[str] = mapped_column(String(64), index=True)
    instance_id: Mapped[str | None] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class NotificationRead(Base):
    """A person read a notification: notifications are addressed to a unit, and each of its people reads them."""

    __tablename__ = "notification_read"
    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notification.id"), primary_key=True)
    read_at: Mapped[datetime]


class Escalation(Base):
    """A delay report to the city government (L§12(六)), one per overdue step."""

    __tablename__ = "escalation"
    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[str] = mapped_column(String(32), index=True)
    step: Mapped[str] = mapped_column(String(200))
    overdue_unit: Mapped[str | None] = mapped_column(String(64))
    reported_to: Mapped[str] = mapped_column(String(64))
    due_at: Mapped[datetime | None]
    escalated_at: Mapped[datetime]


class InstanceParty(Base):
    """Who took part in a case: organisations, groups and users that held or did one of its steps.

    A case is visible to its parties (and administrators) only."""

    __tablename__ = "instance_party"
    instance_id: Mapped[str] = mapped_column(ForeignKey("instance.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)  # organisation | group | user
    code: Mapped[str] = mapped_column(String(200), primary_key=True)
    __table_args__ = (Index("ix_instance_party_code", "kind", "code"),)


class FileUse(Base):
    """A stored file referenced from a case's form data: those who may see the case may download it."""

    __tablename__ = "file_use"
    file_id: Mapped[str] = mapped_column(ForeignKey("stored_file.id"), primary_key=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("instance.id"), primary_key=True, index=True)
    task_name: Mapped[str | None] = mapped_column(String(200))
    used_at: Mapped[datetime]


class ApiToken(Base):
    """A bearer token for the JSON API; only its SHA-256 is kept."""

    __tablename__ = "api_token"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]  # None on tokens issued before expiry: created_at + the setting
    revoked_at: Mapped[datetime | None]


class LoginThrottle(Base):
    """Failed sign-ins of one typed account name or one address within a window, and the lock they earned;
    in the database, so every web process counts alike (engine/signin.py)."""

    __tablename__ = "login_throttle"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)  # "account:<name>" | "address:<ip>"
    failures: Mapped[int]
    window_start: Mapped[datetime] = mapped_column(index=True)
    locked_until: Mapped[datetime | None]


class AuditCheckpoint(Base):
    """Every case's chain head at one moment, chained to the previous checkpoint and signed with a key kept
    outside the database (engine/checkpoints.py): a deleted case or a recomputed chain no longer matches."""

    __tablename__ = "audit_checkpoint"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(64))
    heads: Mapped[list[Any]]  # [[instance_id, event_seq, event_hash], …] in id order
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))  # HMAC-SHA256 of the rest


class AccessRecord(Base):
    """Who looked at or exported which records, and when (auditor views and every export)."""

    __tablename__ = "access_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    action: Mapped[str] = mapped_column(String(32))  # view_replay | view_heatmap | export_xes | export_csv | verify
    target: Mapped[str] = mapped_column(String(300))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Schedule(Base):
    """A process started by its timer start event: when the next case starts, from the cycle it was
    computed from (a setting, or the diagram's own expression)."""

    __tablename__ = "schedule"
    process_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    start_event: Mapped[str] = mapped_column(String(200), server_default="")
    cycle: Mapped[str] = mapped_column(String(300), server_default="")
    next_at: Mapped[datetime] = mapped_column(index=True)
    last_instance_id: Mapped[str | None] = mapped_column(String(32))
    attempts: Mapped[int] = mapped_column(server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)
