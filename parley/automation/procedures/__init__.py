"""Agent Operating Procedures (AOPs): procedures as data, a pure step machine, offline tests.

See docs/procedures.md. The pieces a caller needs:

- ``parse_procedure(source)``: YAML/JSON -> ``ProcedureDefinition`` (InvalidInput with paths and
  line numbers otherwise);
- ``advance(definition, state, message, tools, kb, now) -> Turn`` and ``new_state()``;
- ``ToolRunner`` (``HttpToolRunner``, ``OfflineToolRunner``) and ``KnowledgeSearch`` Protocols;
- ``entry_allows`` for a procedure's entry conditions.
"""

from __future__ import annotations

from parley.automation.procedures.entry import entry_allows
from parley.automation.procedures.interpreter import (
    Action,
    Handoff,
    Resolve,
    SetFields,
    Turn,
    action_dict,
    advance,
    new_state,
)
from parley.automation.procedures.kb import FixtureKnowledge, KbHit, KnowledgeSearch, NoKnowledge
from parley.automation.procedures.model import ProcedureDefinition
from parley.automation.procedures.parse import parse_procedure
from parley.automation.procedures.tools import (
    HttpToolRunner,
    OfflineToolRunner,
    ToolResult,
    ToolRunner,
)

__all__ = [
    "Action",
    "FixtureKnowledge",
    "Handoff",
    "HttpToolRunner",
    "KbHit",
    "KnowledgeSearch",
    "NoKnowledge",
    "OfflineToolRunner",
    "ProcedureDefinition",
    "Resolve",
    "SetFields",
    "ToolResult",
    "ToolRunner",
    "Turn",
    "action_dict",
    "advance",
    "entry_allows",
    "new_state",
    "parse_procedure",
]
