"""The page's verdict (services/audit/verification.page_verdict) in plain words: what was verified, and by whom.

The mark at the top is green only when the verdict is ``cleared``; beside a recall or a failed
result it carries no tick at all and points at the warning. The card says in sentences what the
signatures and the log prove and who signed, tested, sampled or certified; the technical material
(the proof bundle, the log checkpoint) is one tap away, and nothing there needs a token.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from flask_babel import LazyString, ngettext, pgettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from trace.lookup.details import joined, org_name
from trace.models import Organization
from trace.services.audit.verification import Verification
from trace.services.quality.results import Party
from trace.times import rfc3339, show_date

PROBLEMS = {
    "no-checkpoint": _l("the log has no checkpoint yet"),
    "checkpoint": _l("the log checkpoint's signature is invalid"),
    "missing": _l("a record is missing from the log"),
    "leaf": _l("a log entry cannot be read"),
    "record": _l("a record differs from what was signed"),
    "signature": _l("a signature is invalid"),
    "chain": _l("the batch's chain of records is incomplete (a record is missing, or it does not begin with its "
                "registration)"),
    "facts": _l("the batch or product details differ from their signed registration"),
    "inclusion": _l("a record is not in the signed log"),
}
CAUTIONS = {"recalled": _l("This batch has been recalled."),
            "source_recalled": _l("Source batch {code} has been recalled."),
            "failed": _l("This batch failed a test."),
            "source_failed": _l("Source batch {code} failed a test.")}
ENDORSEMENTS = {"tested": _l("Tested by"), "sampled": _l("Sampled by")}
# Beside a recall or a failed result the mark claims nothing: no tick, and it points at the warning.
CAUTION_MARK = _l("Records intact, but not safe: see the warning above")


def _named(names: dict[str, LazyString], code: Any) -> str:
    found = names.get(str(code))
    return str(found) if found is not None else str(code)


def party_name(party: Party | None, lang: str) -> str | None:
    if party is None:
        return None
    return (party.name_en or party.name) if lang == "en" else party.name


def _signers(organization_ids: list[int], names: dict[int, Organization], lang: str) -> str | None:
    """Return who signed the records, most records first, each with how many (``A (28), B (2)``)."""
    counted = Counter(organization_ids).most_common()
    return joined([ngettext("%(who)s (%(num)s record)", "%(who)s (%(num)s records)", n,
                            who=org_name(names.get(org_id), lang)) for org_id, n in counted], lang)


def _statements(v: Verification, signers: str | None, endorsements: list[dict[str, Any]],
                credentials: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Return what the verdict means, sentence by sentence, each with its tone."""
    if v.records == 0:
        return [{"text": _("There are no records to verify yet."), "tone": "note"}]
    if not v.verified:
        return [{"text": _("Some records failed the signature or log check. Treat them with care and contact the "
                           "regulator."), "tone": "bad"}]
    said = [{"text": ngettext("%(num)s record, signed by the organization that made it: %(who)s.",
                              "%(num)s records, each signed by the organization that made it: %(who)s.",
                              v.records, who=signers or "—"), "tone": "ok"},
            {"text": _("None was changed after signing, and all are in the public transparency log, so none can "
                       "be quietly removed or rewritten. The chain of records is complete from the batch's "
                       "registration."), "tone": "ok"}]
    colon = pgettext("label", ": ")
    for e in endorsements:
        words = _("%(who)s on %(date)s", who=e["by"], date=e["date"] or "—")
        if e["source"]:
            words = _("%(words)s (source batch %(code)s)", words=words, code=e["batch"])
        said.append({"text": f"{e['kindText']}{colon}{words}", "tone": "ok"})
    said += [{"text": f"{c['name']}{colon}{c['text']}", "tone": c["tone"]}
             for c in credentials if c["good"]]
    if v.cautions:
        said.append({"text": _("This proves who recorded what, not that the product is safe: read the warning "
                               "above."), "tone": "bad"})
    return said


def present_verdict(v: Verification, code: str, lang: str, organization_ids: list[int],
                    names: dict[int, Organization], credentials: list[dict[str, Any]]) -> dict[str, Any]:
    """Return the verdict as the page shows it (and its JSON carries): mark, tone, sentences, cautions, proofs.

    ``organization_ids``: the organization of each record shown, in order (who signed them).
    """
    if v.records == 0:
        state, mark = "empty", pgettext("verification", "No records yet")
    elif v.verified:
        state, mark = "verified", _("✓ Verified") if v.cleared else str(CAUTION_MARK)
    else:
        state, mark = "failed", _("✗ Not verified")
    kinds = list(dict.fromkeys(p.kind for p in v.problems)) if v.records else []
    endorsements = [{"kind": e.kind, "kindText": _named(ENDORSEMENTS, e.kind), "by": party_name(e.by, lang),
                     "byId": e.by.id, "batch": e.batch, "source": e.batch != code, "record": e.record,
                     "basis": e.basis, "at": rfc3339(e.at) if e.at else None, "date": show_date(e.at),
                     "until": e.until.isoformat() if e.until else None} for e in v.endorsements]
    signers = _signers(organization_ids, names, lang)
    statements = _statements(v, signers, endorsements, credentials)
    return {
        "verified": v.verified, "cleared": v.cleared, "state": state, "mark": mark,
        "text": statements[0]["text"], "statements": statements, "signers": signers,
        "tone": "ok" if v.cleared else "bad" if state == "failed" else "note",  # beside a caution: plain, not green
        "records": v.records, "checkpoint": v.checkpoint_size,
        "problems": [{"kind": p.kind, "event": p.event_id, "detail": p.detail} for p in v.problems],
        "problemTexts": [_named(PROBLEMS, k) for k in kinds],
        "cautions": [{"kind": c.kind, "batch": c.batch, "record": c.record,
                      "text": str(CAUTIONS[c.kind]).format(code=c.batch)} for c in v.cautions],
        "endorsements": endorsements,
        "proof": f"/t/{code}/proof", "checkpointUrl": "/api/v1/log/checkpoint",
        "witness": _witness(v),
    }


def _witness(v: Verification) -> dict[str, Any]:
    """Say in one sentence whether independent witnesses have cosigned the log these records are in."""
    w = v.witnessed
    if not v.witnesses_configured:
        text = _("No independent witness is configured for this log: the check rests on this server's own "
                 "checkpoint.")
    elif w is None:
        text = _("No witness has cosigned this log yet.")
    elif v.witness_covers:
        text = _("Witnesses %(names)s have cosigned the log up to checkpoint %(size)s, which includes these records.",
                 names=", ".join(w.witnesses), size=w.size)
    else:
        text = _("Witnesses %(names)s have cosigned the log up to checkpoint %(size)s; the newest records here "
                 "follow at their next round.", names=", ".join(w.witnesses), size=w.size)
    return {"configured": v.witnesses_configured, "size": w.size if w else None,
            "witnesses": list(w.witnesses) if w else [], "covers": v.witness_covers, "text": text}
