"""Delivering a message from outside to the catch events waiting for it, as BPMN correlation decides.

A message's correlation properties are computed from its payload by their retrieval expressions, and a waiting
event catches it only when they agree with the keys the case already holds (Spiff's `catches`): the first
message of a conversation sets the keys, later ones must match them."""
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow

from engine import projections
from engine.errors import Conflict, InvalidInput, ZhunruError


def awaiting(workflow: BpmnWorkflow, name: str) -> list[Any]:
    """The catch events and receive tasks waiting for the message `name`."""
    return [t for t in projections.waiting_message_tasks(workflow) if t.task_spec.event_definition.name == name]


def sender_lane(workflow: BpmnWorkflow, name: str) -> tuple[str, dict[str, Any]] | None:
    """The lane whose unit alone may send the message `name`, with the case data it resolves on, when a waiting
    catch event names one in its property `senderLane` (L§12(四): only the competent unit applies for an
    extension of the responsible unit's rectification); None when any party to the case may."""
    for task in awaiting(workflow, name):
        lane = ((getattr(task.task_spec, "extensions", None) or {}).get("properties") or {}).get("senderLane")
        if lane:
            return lane, dict(task.data)
    return None


def _triggers(workflow: BpmnWorkflow) -> list[Any]:
    """Message start events of the event sub-processes a message would start (Spiff creates their tasks only
    when one is caught)."""
    found = []
    for name in workflow.spec.start.trigger_specs:
        found += [ts.event_definition for ts in workflow.subprocess_specs[name].bpmn_start_events
                  if isinstance(ts.event_definition, MessageEventDefinition)]
    return found


def awaited_names(workflow: BpmnWorkflow) -> list[str]:
    """Every message the case would catch now."""
    return sorted({t.task_spec.event_definition.name for t in projections.waiting_message_tasks(workflow)}
                  | {d.name for d in _triggers(workflow)})


def _shown(correlations: dict[str, dict[str, Any]]) -> str:
    return "; ".join(f"{key}: " + ", ".join(f"{prop}={value!r}" for prop, value in props.items())
                     for key, props in sorted(correlations.items())) or "无"


def event_for(workflow: BpmnWorkflow, name: str, payload: dict[str, Any]) -> BpmnEvent:
    """The message as its sender would throw it, refused when no waiting event of the case would catch it."""
    waiting = awaiting(workflow, name)
    starting = [d for d in _triggers(workflow) if d.name == name]
    if not waiting and not starting:
        raise Conflict(f"办件当前不在等待消息 {name} (等待: {', '.join(awaited_names(workflow)) or '无'})")
    definition = waiting[0].task_spec.event_definition if waiting else starting[0]
    correlations: dict[str, dict[str, Any]] = {}
    for prop in definition.correlation_properties:
        try:
            value = workflow.script_engine.environment.evaluate(prop.retrieval_expression, dict(payload))
        except ZhunruError:
            raise
        except Exception as exc:  # noqa: BLE001 - whatever the expression raised, the sender left the value out
            raise InvalidInput(f"消息 {name} 缺少关联属性 {prop.name} (取值表达式 {prop.retrieval_expression}): "
                               f"{exc}") from exc
        for key in prop.correlation_keys:
            correlations.setdefault(key, {})[prop.name] = value
    event = BpmnEvent(definition, payload, correlations)
    if not starting and not any(t.task_spec.catches(t, event) for t in waiting):
        raise Conflict(f"消息 {name} 的关联值 ({_shown(correlations)}) 与办件的 ({_shown(workflow.correlations)}) "
                       "不符，未送达")
    return event
