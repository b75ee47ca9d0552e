"""Who vouches for a product: certifications and regional public brands (with their grants).

``Endorsement`` is the shape the page's verdict (``services.verification.page_verdict``) carries
for each thing checked and by whom: certified by, brand authorised by (and tested by, sampled by).
``claims`` reads what stands today, ``certifications`` and ``brands`` record changes through the
one recording pipeline.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from trace.times import CHINA

# Endorsement kinds.
CERTIFIED, BRAND = "certified", "brand"
# States. A certification: verified, unverified (declared, never verified), rejected, expired, not yet valid.
VERIFIED, UNVERIFIED, REJECTED = "verified", "unverified", "rejected"
EXPIRED, NOT_YET_VALID = "expired", "not_yet_valid"
# A brand claim: authorised (a grant valid today), revoked, expired, unauthorised (no grant, or no such brand).
AUTHORISED, REVOKED, UNAUTHORISED = "authorised", "revoked", "unauthorised"
# The states in which an endorsement vouches for something; every other state is a warning.
GOOD = frozenset({VERIFIED, AUTHORISED})


@dataclass(frozen=True)
class Endorsement:
    """One thing checked about a product or batch, who vouches for it, until when, and how it stands today.

    ``by`` names who vouches (a certificate's issuer, a brand's owner); ``signer`` is the
    organization whose signed record vouches (the verifying inspector's, the granting owner's);
    ``records`` are those signed records (none for a producer's self-declared text).
    """

    kind: str
    by: str
    until: dt.date | None
    state: str
    what: str = ""  # the certification kind, or the brand's name
    what_en: str | None = None  # the brand's English name
    number: str | None = None
    by_en: str | None = None
    signer: str | None = None
    signer_en: str | None = None
    since: dt.datetime | None = None  # when it was verified, granted or revoked
    reason: str | None = None  # why a grant was revoked, or a certification rejected
    records: tuple[str, ...] = ()

    @property
    def good(self) -> bool:
        return self.state in GOOD


def china_today() -> dt.date:
    """Return today's date in China, the date validity periods are read in."""
    return dt.datetime.now(CHINA).date()
