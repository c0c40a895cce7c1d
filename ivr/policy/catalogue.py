"""Every phrase the policy may play, gathered from the rules that play them.

Each rule module declares the catalogue ids it needs (`PROMPTS`); the call-wide machine
declares its own. The config's catalogue check (ivr.config.required_prompt_ids) asks here, so
adding a rule with a new phrase makes a catalogue without that phrase fail to load: no
hand-kept list to forget.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from ivr.policy import rules


@cache
def required_prompt_ids() -> frozenset[str]:
    from ivr.policy import machine

    ids: set[str] = set(machine.PROMPTS)
    for info in pkgutil.iter_modules(rules.__path__):
        module = importlib.import_module(f"{rules.__name__}.{info.name}")
        ids |= getattr(module, "PROMPTS", frozenset())
    return frozenset(ids)
