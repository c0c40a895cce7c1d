"""The rule modules' PROMPTS declarations are complete: every phrase id the policy's code can
play is declared by some rule (so the config's catalogue check, derived from them, refuses a
catalogue without it). Read from the source, plus the ids built from config choices."""

from __future__ import annotations

import ast
import typing
from pathlib import Path

import ivr.policy
from ivr.config import Holiday, LowVolumeSettings, required_prompt_ids
from ivr.policy.reasons import FINAL_PHRASE

POLICY_DIR = Path(ivr.policy.__file__).resolve().parent
# call -> position of the phrase id among its positional arguments
PLAYS = {"play": 0, "Rung": 0, "reprompt": 1, "end": 1}


def _strings(node: ast.AST | None, names: dict[str, str] | None = None) -> set[str]:
    """String values of an expression; `names`: the module's NAME = "literal" constants."""
    names = names or {}
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.Name) and node.id in names:
        return {names[node.id]}
    if isinstance(node, (ast.Tuple, ast.List)):
        return set().union(*(_strings(x, names) for x in node.elts)) if node.elts else set()
    if isinstance(node, ast.IfExp):
        return _strings(node.body, names) | _strings(node.orelse, names)
    return set()


def _constants(tree: ast.Module) -> dict[str, str]:
    out = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        else:
            continue
        if isinstance(target, ast.Name) and isinstance(value, ast.Constant):
            if isinstance(value.value, str):
                out[target.id] = value.value
    return out


def played_in_source() -> set[str]:
    ids: set[str] = set()
    for path in sorted(POLICY_DIR.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = _constants(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                position = PLAYS.get(name)
                if position is not None and len(node.args) > position:
                    ids |= _strings(node.args[position], names)
                for kw in node.keywords:
                    if kw.arg in ("prompt_id", "prompts"):
                        ids |= _strings(kw.value, names)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                args = node.args.args[len(node.args.args) - len(node.args.defaults) :]
                for arg, default in zip(args, node.args.defaults, strict=True):
                    if arg.arg in ("prompts", "prompt_id"):
                        ids |= _strings(default)
                if "prompt" in node.name:  # e.g. greeting.opening_prompts: ids it returns
                    for sub in ast.walk(node):
                        if isinstance(sub, (ast.Return, ast.Assign)):
                            ids |= _strings(sub.value)
                        elif isinstance(sub, ast.BoolOp):
                            ids |= set().union(*(_strings(v) for v in sub.values))
    return ids


def test_every_phrase_the_code_plays_is_declared():
    played = played_in_source()
    assert {"greeting", "silent_reprompt", "complaint_confirm", "repeat_please"} <= played
    assert played - required_prompt_ids() == set()


def test_phrases_named_from_config_choices_and_final_phrases_are_declared():
    choices = typing.get_args(LowVolumeSettings.model_fields["first_prompt"].annotation)
    built = {f"low_volume_{c}" for c in choices if c != "auto"}
    built |= {
        f"greeting_holiday_{g}"
        for g in typing.get_args(Holiday.model_fields["greeting"].annotation)
    }
    built |= {p for p in FINAL_PHRASE.values() if p is not None} | {"silent_goodbye"}
    assert built - required_prompt_ids() == set()
