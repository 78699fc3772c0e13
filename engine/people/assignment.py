"""Who owns a task: a lane resolves to an organisation (or a group); no lanes, the starter."""
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from sqlalchemy import ColumnElement, and_, false, or_, true

from engine.definitions import LoadedDefinition
from engine.people.directory import Actor
from engine.store.models import HumanTask


class Holders(Protocol):
    """Who holds a task, as a task row (models.HumanTask) or the row a command reads (task_rows.TaskRow) has it."""

    @property
    def organisation(self) -> str | None: ...
    @property
    def group_name(self) -> str | None: ...
    @property
    def assignee(self) -> str | None: ...


@dataclass(frozen=True)
class Owner:
    organisation: str | None
    group_name: str | None
    assignee: str | None


def resolve(definition: LoadedDefinition, lane: str | None, data: dict[str, Any], starter: str,
            known_organisations: Mapping[str, str | None]) -> Owner:
    """A lane's organisation from its rule or name, else a group named like the lane."""
    if not definition.has_lanes or not lane:
        return Owner(None, None, starter)
    rule = definition.lanes.get(lane)
    role = rule.role if rule else None
    if rule and rule.organisation:
        return Owner(rule.organisation, role, None)
    variable = rule.organisation_variable if rule and rule.organisation_variable else lane
    value = data.get(variable)
    if isinstance(value, str) and value in known_organisations:
        return Owner(value, role, None)
    if lane in known_organisations:
        return Owner(lane, role, None)
    return Owner(None, role or lane, None)


def read_only(actor: Actor) -> bool:
    """Accounts that never hold, claim, complete or start anything: auditors (they read their jurisdiction)
    and other systems' platform accounts (they only start what their roles name, see `may_start`)."""
    return not actor.is_admin and (actor.is_platform or "auditor" in actor.roles)


def may_act(task: Holders, actor: Actor) -> bool:
    """Admin, the assignee, or a member of the owning organisation (and group, when one is set)."""
    if actor.is_admin:
        return True
    if read_only(actor):
        return False
    if task.assignee is not None:
        return task.assignee == actor.username
    if task.organisation is not None:
        return task.organisation == actor.organisation and (
            task.group_name is None or task.group_name in actor.roles)
    return task.group_name is not None and task.group_name in actor.roles


def falls_to(task: Holders, actor: Actor) -> bool:
    """Whether an unheld step is the actor's own unit's (and group's) or their group's: `may_act` without an
    administrator's reach into every unit."""
    if task.assignee is not None or read_only(actor):
        return False
    if task.organisation is not None:
        return task.organisation == actor.organisation and (task.group_name is None or task.group_name in actor.roles)
    return task.group_name is not None and task.group_name in actor.roles


def may_hold(task: HumanTask, actor: Actor) -> bool:
    """Whether the task may be given to this user: a member of its organisation (and group) who can act."""
    return (not read_only(actor) and actor.organisation == task.organisation
            and (task.group_name is None or task.group_name in actor.roles))


def concerns(task: Holders, actor: Actor) -> bool:
    """Whether the actor may know of the task at all: its holder, a member of its organisation (which sees
    its pool and what colleagues hold) or of its group, an administrator. To anyone else it answers as a
    task that does not exist."""
    if actor.is_admin or task.assignee == actor.username:
        return True
    if actor.is_platform:
        return False
    if task.organisation is not None:
        return task.organisation == actor.organisation
    return task.group_name is not None and task.group_name in actor.roles


def leads(actor: Actor, task: HumanTask) -> bool:
    """An administrator, or a leader of the organisation that owns the task."""
    return actor.is_admin or (actor.is_leader and task.organisation is not None
                              and task.organisation == actor.organisation)


def visible_to(actor: Actor) -> ColumnElement[bool]:
    """The SQL form of `may_act`, for task lists."""
    if actor.is_admin:
        return true()
    if read_only(actor):
        return false()
    group_ok = or_(HumanTask.group_name.is_(None), HumanTask.group_name.in_(actor.roles or ("",)))
    org_clause = (and_(HumanTask.assignee.is_(None), HumanTask.organisation == actor.organisation, group_ok)
                  if actor.organisation else false())
    return or_(
        HumanTask.assignee == actor.username,
        org_clause,
        and_(HumanTask.assignee.is_(None), HumanTask.organisation.is_(None),
             HumanTask.group_name.in_(actor.roles or ("",))),
    )


def starters(definition: LoadedDefinition, known_organisations: Mapping[str, str | None]) -> set[str] | None:
    """The organisations whose members may start the process: those holding its start form or first user tasks
    (for a lane decided at run time by function, every organisation with that function). None when anyone may
    (no lanes, or a first lane decided at run time)."""
    if not definition.has_lanes:
        return None
    found: set[str] = set()
    seen: set[str] = set()
    by_function = False  # such a lane admits no one when no organisation has the function
    stack = list(definition.spec.start.outputs)
    while stack:
        spec = stack.pop()
        if spec.name in seen:
            continue
        seen.add(spec.name)
        # A start event with a form is filled in by its starter, like a first user task.
        start_form = isinstance(spec, StartEvent) and ((getattr(spec, "extensions", None) or {})
                                                       .get("properties") or {}).get("formKey")
        if not (getattr(spec, "manual", False) or start_form):
            stack.extend(spec.outputs)
            continue
        rule = definition.lanes.get(spec.lane) if spec.lane else None
        if rule and rule.organisation:
            found.add(rule.organisation)
        elif rule and rule.organisation_variable and rule.organisation_function:
            by_function = True
            found.update(code for code, function in known_organisations.items()
                         if function == rule.organisation_function)
        elif spec.lane in known_organisations and not (rule and rule.organisation_variable):
            found.add(spec.lane)
        else:
            return None
    return found if found or by_function else None


def may_start(definition: LoadedDefinition, actor: Actor, known_organisations: Mapping[str, str | None]) -> bool:
    if actor.is_admin:
        return True
    if "auditor" in actor.roles or (actor.is_platform and definition.process_id not in actor.roles):
        return False  # an auditor starts nothing; a platform account only the processes its roles name
    allowed = starters(definition, known_organisations)
    return allowed is None or actor.organisation in allowed


def starter_variable(definition: LoadedDefinition) -> str | None:
    """The variable naming the organisation of the lane a process starts in, when one does: the starter's own
    organisation, whatever a start form says. (Several start events hang under one split, which has no lane.)"""
    firsts = [o for spec in definition.spec.start.outputs
              for o in ([spec] if getattr(spec, "lane", None) else spec.outputs)]
    for spec in firsts:
        rule = definition.lanes.get(spec.lane) if getattr(spec, "lane", None) else None
        if rule and rule.organisation_variable:
            return rule.organisation_variable
    return None


def starting_data(definition: LoadedDefinition, data: dict[str, Any], organisation: str | None
                  ) -> tuple[dict[str, Any], dict[str, Any]]:
    """A person's start data split into what the start form checks and what the engine sets: the lane the case
    starts in is the starter's own organisation, whatever the data say (an administrator, who has none, names
    it)."""
    variable = starter_variable(definition)
    if variable is None:
        return data, {}
    value = organisation or data.get(variable)
    return {k: v for k, v in data.items() if k != variable}, ({variable: value} if value else {})


def lane_data(definition: LoadedDefinition, data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The start data one case gives another split into what the new case's start form checks and the
    organisations it names for the new case's lanes (its lead, its submitting unit), which are the engine's:
    a closed clue names the NDRC that led it, a notice the region its self-inspection runs in."""
    variables = {rule.organisation_variable for rule in definition.lanes.values() if rule.organisation_variable}
    named = {k: v for k, v in data.items() if k in variables and isinstance(v, str)}
    return {k: v for k, v in data.items() if k not in named}, named
