"""Complaint classification (seed 003 客户投诉处理机制 二 投诉登记与分类).

"接收到客户的投诉后,我们会进行详细登记,并对投诉进行分类。分类的依据包括产品类型、问题性质、
紧急程度等" and 服务响应与处理时效要求 2: "针对复杂或需要跨部门协同解决的问题…在接到问题后的
三个工作日内给出明确处理方案".
The caller's words are matched against [complaint_classes.<locale>]: the product and nature
classes go on the ticket (notes), urgent words make it severity "urgent" (the desk sees it
first), complex words make it "complex" (the commitments.complex row: three working days,
and the spoken promise says so).
"""

from __future__ import annotations

from dataclasses import dataclass

from ivr.policy.context import CallContext
from ivr.vocabulary import Severity


@dataclass(frozen=True)
class Classes:
    product: str | None
    nature: str | None
    severity: Severity

    @property
    def notes(self) -> str:
        product, nature = self.product or "-", self.nature or "-"
        return f"product={product}; nature={nature}; urgency={self.severity}"


def _first(table: dict[str, list[str]], text: str) -> str | None:
    from ivr.policy.rules.intent import matches

    return next((name for name, words in table.items() if matches(text, words)), None)


def classify(ctx: CallContext, text: str) -> Classes:
    from ivr.policy.rules.intent import matches

    table = ctx.settings.complaint_classes.get(ctx.locale)  # type: ignore[call-overload]
    if table is None or not text:
        return Classes(None, None, "normal")
    severity: Severity = "normal"
    if matches(text, table.urgent):
        severity = "urgent"
    elif matches(text, table.complex):
        severity = "complex"
    return Classes(_first(table.products, text), _first(table.natures, text), severity)
