"""Instance state as Spiff's JSON, without the specs where the deployed definition supplies them.

Specs are built as Spiff's deserializer builds them, which also makes the links a loop or multi-instance
needs to merge its finished children (a freshly parsed spec makes them only when a child is created, so a case
restored in another process never merged them). Spiff also changes a workflow's specs as it runs: a triggered
event sub-process is connected to its process's start, an ad hoc sub-process connects the paths it starts. A
version that has either gives each workflow its own copy, and a spec that changed is saved with the state;
other versions' workflows share one copy, as nothing changes it.
"""
import json
from typing import Any

import orjson
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.bpmn.specs import AdHocSubprocessSpec
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

from engine.store import restore_mode


class _SpeclessWorkflowConverter(BpmnWorkflowConverter):
    def to_dict(self, workflow):
        dct = super(BpmnWorkflowConverter, self).to_dict(workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct


_config = dict(SPIFF_CONFIG)
_config[BpmnWorkflow] = _SpeclessWorkflowConverter
SERIALIZER = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(_config))
# Spiff's encoder turns what JSON lacks (datetimes, timedeltas, …) into its typed dicts; orjson hands it the
# same objects, and writes the rest about six times faster than the standard library (measured on our states).
_ENCODER = SERIALIZER._encoder_cls()
_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_SUBCLASS | orjson.OPT_NON_STR_KEYS
_TOP = ""  # the top process's key among a workflow's specs


def _shape(spec: Any) -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    """What Spiff changes in a spec as it runs: the connections between its task specs."""
    return {name: (tuple(t.name for t in ts.inputs), tuple(t.name for t in ts.outputs))
            for name, ts in spec.task_specs.items()}


class Specs:
    """The specs of one deployed version: the parsed ones to read, and fresh copies for each workflow."""

    def __init__(self, spec: Any, subprocess_specs: dict[str, Any]):
        self.spec = spec  # read-only: no workflow runs on it
        self.subprocess_specs = subprocess_specs
        registry = SERIALIZER.registry
        self._blobs = {_TOP: orjson.dumps(registry.convert(spec)),
                       **{name: orjson.dumps(registry.convert(sp)) for name, sp in subprocess_specs.items()}}
        self.shapes = {_TOP: _shape(spec), **{name: _shape(sp) for name, sp in subprocess_specs.items()}}
        every = [spec, *subprocess_specs.values()]
        self.changing = any(sp.start.trigger_specs or isinstance(sp, AdHocSubprocessSpec) for sp in every)
        self._shared = None if self.changing else {name: self._build(name) for name in self._blobs}

    def _build(self, name: str) -> Any:
        return SERIALIZER.registry.restore(orjson.loads(self._blobs[name]))

    def fresh(self, name: str = _TOP) -> Any:
        """The spec a workflow runs on: its own copy when the version's specs change as it runs."""
        return self._build(name) if self._shared is None else self._shared[name]

    def new_workflow(self) -> BpmnWorkflow:
        return BpmnWorkflow(self.fresh(), {name: self.fresh(name) for name in self.subprocess_specs})


def _changed_specs(workflow: BpmnWorkflow, specs: Specs) -> dict[str, Any]:
    if not specs.changing:
        return {}
    current = {_TOP: workflow.spec, **workflow.subprocess_specs}
    return {name: spec for name, spec in current.items() if _shape(spec) != specs.shapes.get(name)}


def _to_dict(workflow: BpmnWorkflow, specs: Specs) -> dict[str, Any]:
    registry = SERIALIZER.registry
    registry._encoder_mode = True
    try:
        dct = SERIALIZER.to_dict(workflow)
        changed = _changed_specs(workflow, specs)
        if _TOP in changed:
            dct["spec"] = registry.convert(changed.pop(_TOP))
        if changed:
            dct["subprocess_specs"] = {name: registry.convert(spec) for name, spec in changed.items()}
    finally:
        registry._encoder_mode = False
    dct[SERIALIZER.VERSION_KEY] = SERIALIZER.VERSION
    return dct


def _encode(workflow: BpmnWorkflow, specs: Specs) -> str:
    """Spiff's serialize_json, with the encoding done by orjson (the standard library takes what it refuses)."""
    dct = _to_dict(workflow, specs)
    try:
        return orjson.dumps(dct, default=_ENCODER.default, option=_OPTIONS).decode()
    except orjson.JSONEncodeError:  # integers past 64 bits, NaN kept as NaN: what only json writes
        return json.dumps(dct, cls=SERIALIZER._encoder_cls)


def dump(workflow: BpmnWorkflow, specs: Specs) -> str:
    state = _encode(workflow, specs)
    if restore_mode.CHECK_ROUND_TRIP:
        restore_mode.check_round_trip(state, _encode(restore(state, specs), specs))
    return state


def restore(state: str, specs: Specs) -> BpmnWorkflow:
    try:
        dct = orjson.loads(state)
    except orjson.JSONDecodeError:
        dct = json.loads(state)
    SERIALIZER.migrate(dct)
    saved = dct.get("subprocess_specs") or {}
    # restore() passes objects it does not know through unchanged, and builds those saved as Spiff saves them.
    if "spec" not in dct:
        dct["spec"] = specs.fresh()
    dct["subprocess_specs"] = {name: saved.get(name) or specs.fresh(name) for name in specs.subprocess_specs}
    return SERIALIZER.from_dict(dct)
