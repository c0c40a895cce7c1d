"""Sections for the seed rules issue 13 brought in: out-of-scope advice, complaint classes."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from ivr.config.base import Section


class AdviceEntry(Section):
    """Seed 001 特殊沟通内容 5: "建议您…(根据用户的需求给予适当的建议)" for these words."""

    words: Annotated[list[str], Field(min_length=1)]
    text: Annotated[str, Field(min_length=1, max_length=200)]


class ComplaintClasses(Section):
    """Seed 003 投诉登记与分类: "分类的依据包括产品类型、问题性质、紧急程度等" (by words)."""

    products: dict[str, list[str]] = Field(default_factory=dict)  # class -> words
    natures: dict[str, list[str]] = Field(default_factory=dict)
    urgent: list[str] = Field(default_factory=list)  # -> severity "urgent"
    # Seed 003 "复杂问题 …三个工作日内": words that mark the complaint complex (commitment complex).
    complex: list[str] = Field(default_factory=list)
