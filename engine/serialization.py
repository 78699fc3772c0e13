"""Instance state as Spiff's JSON without the spec: the deployed definition supplies it on load."""
import json

from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

from .definitions import LoadedDefinition


class _SpeclessWorkflowConverter(BpmnWorkflowConverter):
    def to_dict(self, workflow):
        dct = super(BpmnWorkflowConverter, self).to_dict(workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct


_config = dict(SPIFF_CONFIG)
_config[BpmnWorkflow] = _SpeclessWorkflowConverter
SERIALIZER = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(_config))


def dump(workflow: BpmnWorkflow) -> str:
    return SERIALIZER.serialize_json(workflow)


def restore(state: str, definition: LoadedDefinition) -> BpmnWorkflow:
    dct = json.loads(state)
    SERIALIZER.migrate(dct)
    dct["spec"] = definition.spec  # restore() passes objects it does not know through unchanged
    dct["subprocess_specs"] = dict(definition.subprocess_specs)
    return SERIALIZER.from_dict(dct)
