"""The 合格证 rules of 《农产品质量安全承诺达标合格证管理办法》 (2025) that records can show broken.

- A buyer who collects produce (收购, any receiving from another organization) must receive the
  seller's 承诺达标合格证 with it (第八条): a receiving with no certificate issued for the batch by
  another organization before it is a finding.
- Produce mixed or repacked (混装或者分装) before sale needs a certificate of its own: a batch made
  by a transformation (a merge or a split) that is sold or shipped on with no certificate
  recorded for it is a finding.

Both apply only to the produce the measures cover (第三条): vegetables and cultivated edible
fungi, fruit, fresh tea leaves, livestock and poultry, eggs, farmed aquatic products.
"""

from __future__ import annotations

from trace.services.compliance.compliance_rules import Finding, History, Step, when
from trace.services.compliance.rules import Rule
from trace.stages import STAGES

CERTIFIED_CATEGORIES = frozenset({"vegetables", "edible_fungi", "fruit", "tea", "livestock_poultry", "eggs",
                                  "aquatic"})


def _subject_of(history: History, kind: str) -> list[Step]:
    """Return the steps in which the batch itself went through a stage of that kind (a Stage flag)."""
    return [s for s in history.steps
            if s.role == "subject" and s.stage in STAGES and getattr(STAGES[s.stage], kind)]


def receiving_without_certificate(history: History) -> list[Finding]:
    """A batch received from another organization without a certificate the seller issued for it."""
    if history.category not in CERTIFIED_CATEGORIES:
        return []
    certificates = _subject_of(history, "certifies")
    findings = []
    for received in _subject_of(history, "receives"):
        party = STAGES[received.stage].party_field
        seller = received.data.get(party) if party else None
        if seller == received.organization_id:
            continue  # moved within one organization: nothing changed hands
        handed = [c for c in certificates
                  if c.organization_id != received.organization_id and c.occurred_at <= received.occurred_at]
        if handed:
            continue
        findings.append(Finding(
            "receiving_without_certificate", "medium", history.batch_id, received.event_id,
            f"收购未收取合格证：{history.code} 于 {when(received.occurred_at)} 收货，此前没有卖方为该批次开具的"
            "承诺达标合格证。",
            f"Received without a certificate: {history.code} was received on {when(received.occurred_at)} (UTC+8) "
            "and the seller had issued no 承诺达标合格证 (compliance certificate) for it.",
            {"seller": seller},
        ))
    return findings


def repacked_without_certificate(history: History) -> list[Finding]:
    """A merged or split batch sold or shipped on before a certificate of its own was issued."""
    if history.category not in CERTIFIED_CATEGORIES:
        return []
    made = [s for s in history.steps
            if s.role == "output" and s.stage in STAGES and STAGES[s.stage].transformation]
    if not made:
        return []
    certificates = _subject_of(history, "certifies")
    findings = []
    for move in sorted(_subject_of(history, "sells") + _subject_of(history, "ships"), key=lambda s: s.occurred_at):
        if any(c.occurred_at <= move.occurred_at for c in certificates):
            continue
        findings.append(Finding(
            "repacked_without_certificate", "medium", history.batch_id, move.event_id,
            f"混装或分装后销售未重新开具合格证：{history.code} 由 {made[0].stage} 记录产生，"
            f"于 {when(move.occurred_at)} 销售或发出时尚无本批次的承诺达标合格证。",
            f"Mixed or repacked produce sold without its own certificate: {history.code}, made by a "
            f"{made[0].stage} record, was sold or shipped on {when(move.occurred_at)} (UTC+8) with no "
            "承诺达标合格证 (compliance certificate) issued for it.",
            {"madeBy": made[0].event_id},
        ))
    return findings


CERTIFICATE_RULES: dict[str, Rule] = {
    "receiving_without_certificate": Rule(receiving_without_certificate, lambda s: s.receives or s.certifies),
    "repacked_without_certificate": Rule(
        repacked_without_certificate, lambda s: s.sells or s.ships or s.certifies or s.transformation),
}
