"""The flows a rule may hand the call to, by typed name.

A rule starts another rule's flow through `ctx.start_flow(name)`; the names are this Literal,
so mypy refuses a misspelt or unregistered flow, and CallPolicy's registry (machine.FLOWS) must
have an entry for each (checked when the machine module loads). Caller intents are flow names:
the classifier's answer is the flow to start.
"""

from __future__ import annotations

from typing import Literal, get_args

FlowName = Literal[
    "complaint",
    "inquiry",
    "suggestion",
    "person",
    "thanks",
    "goodbye",
    "closing",
    "survey",
    "harassment",
    "wrong_number",
    "named_colleague",
    "personal_info",
    "out_of_scope",
]
FLOW_NAMES: tuple[FlowName, ...] = get_args(FlowName)
