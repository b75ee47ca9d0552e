"""The compliance rules, each a function from one batch's recorded history to findings (registered in ``rules``).

Rules see events as ``Step``s (an event as it concerns one batch) sorted by when they
occurred, so the result does not depend on the order records arrived in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from trace.stages import STAGES, Stage, names
from trace.stages.input import REGULATED as REGULATED_INPUTS
from trace.times import CHINA, parse_time

SEVERITIES = ("low", "medium", "high", "critical")
# A temperature this far outside the range (°C) is high severity; less is medium.
SEVERE_EXCURSION = Decimal(2)


@dataclass(frozen=True)
class Step:
    """One recorded event as it concerns one batch."""

    event_id: str
    stage: str
    role: str
    occurred_at: dt.datetime
    recorded_at: dt.datetime
    organization_id: int
    data: dict[str, Any]
    quantity: Decimal | None = None
    uom: str | None = None
    subjects: int = 1


@dataclass(frozen=True)
class CertificationClaim:
    """A certification a product is sold under: a record (maybe verified) or the producer's free text."""

    kind: str
    number: str | None
    valid_from: dt.date | None
    valid_until: dt.date | None
    verified: bool
    record: str | None  # the certification record; None for free text in the product's master data


@dataclass
class History:
    """What the rules know about one batch."""

    batch_id: int
    code: str
    quantity: Decimal
    uom: str
    organization_id: int
    template: list[str]
    temperature_range: dict[str, Any] | None
    steps: list[Step] = field(default_factory=list)
    # Inspections of the batches it was made from (any depth).
    upstream_inspections: list[tuple[str, Step]] = field(default_factory=list)
    product_id: int | None = None
    category: str | None = None  # the category's code
    # The certifications its product claims (loaded when the history has a sale).
    certifications: list[CertificationClaim] = field(default_factory=list)
    # The end of its shelf life or best-before day (services/catalog/shelf_life.py), if its product has one.
    best_before: dt.datetime | None = None


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: str
    batch_id: int
    event_id: str
    message_zh: str
    message_en: str
    details: dict[str, Any]


def when(moment: dt.datetime) -> str:
    """Return a time as shown in messages (China time)."""
    return moment.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def decimal(value: Any) -> Decimal | None:
    """Return a decimal from stored JSON (strings), or None when absent or unreadable."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def fmt(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _is(step: Step, having: Callable[[Stage], bool]) -> bool:
    stage = STAGES.get(step.stage)
    return stage is not None and having(stage)


def _subject(history: History, having: Callable[[Stage], bool]) -> list[Step]:
    """Return the steps in which the batch itself went through a stage with a property."""
    return [s for s in history.steps if s.role == "subject" and _is(s, having)]


def pre_harvest_interval(history: History) -> list[Finding]:
    """A harvest before a recorded pesticide's or veterinary drug's interval had passed."""
    applications = [s for s in _subject(history, lambda s: s.applies_inputs)
                    if s.data.get("inputType") in REGULATED_INPUTS and s.data.get("preHarvestIntervalDays") is not None]
    findings = []
    for harvest in _subject(history, lambda s: s.harvests):
        broken = []
        for use in applications:
            earliest = use.occurred_at + dt.timedelta(days=int(use.data["preHarvestIntervalDays"]))
            if use.occurred_at <= harvest.occurred_at < earliest:
                broken.append((earliest, use))
        if not broken:
            continue
        earliest, use = max(broken, key=lambda pair: pair[0])
        drug = use.data["inputType"] == "veterinary_drug"
        days, name = use.data["preHarvestIntervalDays"], use.data.get("product", "?")
        reg = use.data.get("registrationNumber", "-")
        period = "休药期" if drug else "安全间隔期"
        findings.append(Finding(
            "pre_harvest_interval", "high", history.batch_id, harvest.event_id,
            f"{period}未满即采收：{name}（登记证号 {reg}）于 {when(use.occurred_at)} 使用，"
            f"{period} {days} 天，最早 {when(earliest)} 方可采收，实际 {when(harvest.occurred_at)} 采收。",
            f"Harvested before the {'withdrawal period' if drug else 'pre-harvest interval'} had passed: {name} "
            f"(reg. {reg}) used {when(use.occurred_at)} (UTC+8), interval {days} days, earliest harvest "
            f"{when(earliest)}, harvested {when(harvest.occurred_at)}.",
            {"input": use.event_id, "intervalDays": days, "earliest": iso(earliest),
             "violations": len(broken)},
        ))
    return findings


def _last_before(inspections: list[Step], moment: dt.datetime) -> Step | None:
    earlier = [s for s in inspections if s.occurred_at <= moment]
    return max(earlier, key=lambda s: (s.occurred_at, s.recorded_at)) if earlier else None


BASIS_ZH = {"commissioned": "委托检测", "supervisory": "监督抽检", "self_check": "自检"}


def sale_after_failed_inspection(history: History) -> list[Finding]:
    """A sale or shipment after a failed inspection of the batch or of a batch it was made from."""
    own = _subject(history, lambda s: s.inspects)
    by_batch: dict[str, list[Step]] = {}
    for code, step in history.upstream_inspections:
        by_batch.setdefault(code, []).append(step)
    findings = []
    for move in _subject(history, lambda s: s.sells or s.ships):
        failed: list[tuple[str, Step]] = []
        mine = _last_before(own, move.occurred_at)
        if mine is not None and mine.data.get("result") == "fail":
            failed.append((history.code, mine))
        for code, steps in by_batch.items():
            last = _last_before(steps, move.occurred_at)
            # A later passing test of this very batch clears a failure upstream.
            if last is not None and last.data.get("result") == "fail" and not (
                    mine is not None and mine.data.get("result") == "pass" and mine.occurred_at >= last.occurred_at):
                failed.append((code, last))
        if not failed:
            continue
        code, test = max(failed, key=lambda pair: pair[1].occurred_at)
        zh_move, en_move = ("销售", "Sold") if _is(move, lambda s: s.sells) else ("发货", "Shipped")
        # Who tested: the organization that signed the result (a 自检's free-text lab is not a laboratory's word).
        basis = str(test.data.get("basis") or "self_check")
        zh_lab = f"组织 {test.organization_id}（{BASIS_ZH.get(basis, basis)}）"
        lab = f"organization {test.organization_id} ({basis})"
        report = test.data.get("reportNumber", "-")
        items = [i.get("item", "?") for i in test.data.get("items", []) if i.get("result") == "fail"]
        findings.append(Finding(
            "sale_after_failed_inspection", "critical", history.batch_id, move.event_id,
            f"检测不合格后仍{zh_move}：批次 {code} 于 {when(test.occurred_at)} 经 {zh_lab} 检测不合格"
            f"（报告 {report}；不合格项目：{'、'.join(items) or '-'}），{when(move.occurred_at)} {zh_move}。",
            f"{en_move} after a failed inspection: batch {code} failed at {lab} on {when(test.occurred_at)} "
            f"(UTC+8; report {report}; failed items: {', '.join(items) or '-'}), {en_move.lower()} "
            f"{when(move.occurred_at)}.",
            {"inspection": test.event_id, "inspectedBatch": code, "failedItems": items},
        ))
    return findings


def sale_of_recalled_batch(history: History) -> list[Finding]:
    """A sale of a batch after a recall reached it."""
    recalls = [s for s in _subject(history, lambda s: s.recalls) if s.data.get("action", "open") == "open"]
    findings = []
    for sale in _subject(history, lambda s: s.sells):
        earlier = [r for r in recalls if r.occurred_at <= sale.occurred_at]
        if not earlier:
            continue
        recall = min(earlier, key=lambda r: r.occurred_at)
        reason = recall.data.get("reason", "-")
        findings.append(Finding(
            "sale_of_recalled_batch", "critical", history.batch_id, sale.event_id,
            f"销售已召回的批次：{history.code} 于 {when(recall.occurred_at)} 被召回（原因：{reason}），"
            f"{when(sale.occurred_at)} 仍有销售记录。",
            f"Sale of a recalled batch: {history.code} was recalled on {when(recall.occurred_at)} (UTC+8; "
            f"reason: {reason}) and sold on {when(sale.occurred_at)}.",
            {"recallEvent": recall.event_id, "recallId": recall.data.get("recallId")},
        ))
    return findings


def sale_under_invalid_certification(history: History) -> list[Finding]:
    """A sale under a certification that had expired (or was not yet valid) that day, or was never verified."""
    findings = []
    for sale in _subject(history, lambda s: s.sells):
        day = sale.occurred_at.astimezone(CHINA).date()
        bad = []
        for claim in history.certifications:
            if claim.valid_until is not None and day > claim.valid_until:
                bad.append((claim, "expired", f"已于 {claim.valid_until} 过期", f"expired on {claim.valid_until}"))
            elif claim.valid_from is not None and day < claim.valid_from:
                bad.append((claim, "not_yet_valid", f"{claim.valid_from} 起才有效",
                            f"valid only from {claim.valid_from}"))
            elif not claim.verified:
                bad.append((claim, "unverified", "未经监管核验（自我声明）", "never verified (self-declared)"))
        if not bad:
            continue
        zh = "；".join(f"{c.kind} {c.number or '-'} {why}" for c, _, why, _ in bad)
        en = "; ".join(f"{c.kind} {c.number or '-'} {why}" for c, _, _, why in bad)
        expired = any(state == "expired" for _, state, _, _ in bad)
        findings.append(Finding(
            "sale_under_invalid_certification", "high" if expired else "medium", history.batch_id, sale.event_id,
            f"以无效认证销售：{history.code} 于 {when(sale.occurred_at)} 销售，所标认证：{zh}。",
            f"Sold under a certification that does not hold: {history.code} sold {when(sale.occurred_at)} (UTC+8); "
            f"{en}.",
            {"certifications": [{"kind": c.kind, "number": c.number, "record": c.record, "state": state,
                                 "validUntil": c.valid_until.isoformat() if c.valid_until else None}
                                for c, state, _, _ in bad]},
        ))
    return findings


def temperature_out_of_range(history: History) -> list[Finding]:
    """Storage or transport readings outside the category's cold-chain range."""
    rng = history.temperature_range or {}
    low, high = decimal(rng.get("min")), decimal(rng.get("max"))
    if low is None and high is None:
        return []
    findings = []
    for step in _subject(history, lambda s: s.cold_chain):
        outside = []
        for reading in step.data.get("temperatures") or []:
            celsius = decimal(reading.get("celsius")) if isinstance(reading, dict) else None
            if celsius is None:
                continue
            gap = (low - celsius) if low is not None and celsius < low else (
                celsius - high if high is not None and celsius > high else Decimal(0))
            if gap > 0:
                outside.append((gap, celsius, reading.get("time")))
        if not outside:
            continue
        worst = max(outside, key=lambda r: r[0])
        times = [moment for _, _, t in outside if (moment := parse_time(t)) is not None]
        first = min(times, default=step.occurred_at)
        zh_where, en_where = ("运输", "Transport") if _is(step, lambda s: s.ships) else ("仓储", "Storage")
        bounds = f"{fmt(low) if low is not None else '-∞'}～{fmt(high) if high is not None else '+∞'} °C"
        findings.append(Finding(
            "temperature_out_of_range", "high" if worst[0] > SEVERE_EXCURSION else "medium",
            history.batch_id, step.event_id,
            f"{zh_where}温度超出范围：{len(outside)} 个读数超出 {bounds}，最偏离为 {fmt(worst[1])} °C，"
            f"首次超限 {when(first)}。",
            f"{en_where} temperature out of range: {len(outside)} readings outside {bounds.replace('～', ' to ')}, "
            f"worst {fmt(worst[1])} °C, first at {when(first)} (UTC+8).",
            {"readingsOutside": len(outside), "worst": fmt(worst[1]), "min": rng.get("min"), "max": rng.get("max")},
        ))
    return findings


def stage_out_of_order(history: History) -> list[Finding]:
    """A stage that the category's template puts before one already recorded earlier."""
    ordered = names(lambda s: s.ordered)
    order = {stage: i for i, stage in enumerate(history.template) if stage in ordered}
    steps = sorted((s for s in history.steps if s.role in ("subject", "input") and s.stage in order),
                   key=lambda s: (s.occurred_at, s.recorded_at))
    findings: list[Finding] = []
    latest = None
    for step in steps:
        if latest is not None and order[step.stage] < order[latest.stage] and step.occurred_at > latest.occurred_at:
            findings.append(Finding(
                "stage_out_of_order", "low", history.batch_id, step.event_id,
                f"环节顺序异常：{step.stage} 发生在 {when(step.occurred_at)}，晚于模板中应在其后的 {latest.stage}"
                f"（{when(latest.occurred_at)}）。",
                f"Stage out of order: {step.stage} at {when(step.occurred_at)} (UTC+8) comes after "
                f"{latest.stage} ({when(latest.occurred_at)}), which the category's template puts later.",
                {"stage": step.stage, "after": latest.stage, "afterEvent": latest.event_id,
                 "template": history.template},
            ))
        if latest is None or order[step.stage] > order[latest.stage]:
            latest = step
    return findings


def _quantity_in(step: Step, uom: str) -> Decimal | None:
    """Return the event data's quantity when it is in the batch's unit."""
    amount = decimal(step.data.get("quantity"))
    if amount is None or step.data.get("uom", uom) != uom:
        return None
    return amount


def quantity_exceeds_available(history: History) -> list[Finding]:
    """Shipments by an organization adding up to more than it had of the batch.

    The producer had the batch's quantity less what transformations consumed; anyone else had
    what it recorded receiving, or failing that, what was shipped to it. Multi-batch events
    carry one quantity for several batches and are skipped.
    """
    consumed = Decimal(0)
    shipped: dict[int, Decimal] = {}
    shipped_to: dict[int, Decimal] = {}
    received: dict[int, Decimal] = {}
    findings = []
    for step in sorted(history.steps, key=lambda s: (s.occurred_at, s.recorded_at)):
        if step.role == "input" and step.quantity is not None:
            consumed += step.quantity
        amount = _quantity_in(step, history.uom) if step.role == "subject" and step.subjects == 1 else None
        if amount is None:
            continue
        stage = STAGES.get(step.stage)
        if stage is not None and stage.receives:
            received[step.organization_id] = received.get(step.organization_id, Decimal(0)) + amount
        if stage is None or not stage.ships or stage.party_field is None:
            continue
        sender, recipient = step.organization_id, step.data.get(stage.party_field)
        if isinstance(recipient, int):
            shipped_to[recipient] = shipped_to.get(recipient, Decimal(0)) + amount
        shipped[sender] = shipped.get(sender, Decimal(0)) + amount
        available: Decimal | None = (history.quantity - consumed if sender == history.organization_id
                                     else received[sender] if sender in received else shipped_to.get(sender))
        if available is not None and shipped[sender] > available:
            findings.append(Finding(
                "quantity_exceeds_available", "high", history.batch_id, step.event_id,
                f"发货数量超过可用数量：{history.code} 累计发货 {fmt(shipped[sender])} {history.uom}，"
                f"可用 {fmt(available)} {history.uom}。",
                f"Quantity shipped exceeds quantity available: {fmt(shipped[sender])} {history.uom} of "
                f"{history.code} shipped in total, {fmt(available)} {history.uom} available.",
                {"shipped": fmt(shipped[sender]), "available": fmt(available), "uom": history.uom},
            ))
    return findings
