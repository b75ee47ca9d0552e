"""The record rules by name, with the stages each concerns; one more rule: a sale after the best-before day.

``compliance.RULES`` adds the 合格证 rules of ``certificate_rules`` to these.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

from trace.services.compliance.compliance_rules import (
    Finding,
    History,
    _subject,
    iso,
    pre_harvest_interval,
    quantity_exceeds_available,
    sale_after_failed_inspection,
    sale_of_recalled_batch,
    sale_under_invalid_certification,
    stage_out_of_order,
    temperature_out_of_range,
    when,
)
from trace.stages import Stage, names

# Made when a sensor window is sealed (services/sensors/windows.py), not by a rule over a history.
EXCURSION_RULE = "cold_chain_excursion"


def sale_after_best_before(history: History) -> list[Finding]:
    """A sale after the end of the batch's shelf life (保质期) or best-before day (最佳食用期)."""
    if history.best_before is None:
        return []
    findings = []
    for sale in _subject(history, lambda s: s.sells):
        if sale.occurred_at <= history.best_before:
            continue
        late = sale.occurred_at - history.best_before
        days = late.days + (1 if late.seconds or late.microseconds else 0)
        findings.append(Finding(
            "sale_after_best_before", "high", history.batch_id, sale.event_id,
            f"超过保质期或最佳食用期销售：{history.code} 的期限至 {when(history.best_before)}，"
            f"{when(sale.occurred_at)} 仍有销售记录（超出约 {days} 天）。",
            f"Sold after its shelf life or best-before day: {history.code} was good until "
            f"{when(history.best_before)} (UTC+8) and sold on {when(sale.occurred_at)}, about {days} days later.",
            {"bestBefore": iso(history.best_before), "daysLate": days},
        ))
    return findings


@dataclass(frozen=True)
class Rule:
    """A rule and the stages it concerns: a new event of one makes it look again, reading only those.

    ``history`` False: the rule judges each event on its own, so a new event needs no history.
    """

    check: Callable[[History], list[Finding]]
    concerns: Callable[[Stage], bool]
    history: bool = True
    upstream: bool = False

    @functools.cached_property
    def triggers(self) -> frozenset[str]:
        """Return the stages whose new events make the rule look again (the stages are fixed at import)."""
        return names(self.concerns)

    @functools.cached_property
    def reads(self) -> frozenset[str] | None:
        """Return the stages of the history it reads (None: it judges the new event alone)."""
        return self.triggers if self.history else None


RECORD_RULES: dict[str, Rule] = {
    "pre_harvest_interval": Rule(pre_harvest_interval, lambda s: s.applies_inputs or s.harvests),
    "sale_after_failed_inspection": Rule(sale_after_failed_inspection, lambda s: s.inspects or s.sells or s.ships,
                                         upstream=True),
    "sale_of_recalled_batch": Rule(sale_of_recalled_batch, lambda s: s.recalls or s.sells),
    "sale_under_invalid_certification": Rule(sale_under_invalid_certification, lambda s: s.sells),
    "temperature_out_of_range": Rule(temperature_out_of_range, lambda s: s.cold_chain, history=False),
    "stage_out_of_order": Rule(stage_out_of_order, lambda s: s.ordered),
    "quantity_exceeds_available": Rule(quantity_exceeds_available,
                                       lambda s: s.ships or s.receives or s.transformation),
    "sale_after_best_before": Rule(sale_after_best_before, lambda s: s.sells, history=False),
}

