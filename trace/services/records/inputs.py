"""What a transformation's inputs may give, and how what an input gave is shared among the outputs."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from trace.errors import QuantityError
from trace.models import Batch, User
from trace.services.organizations.permissions import require_batch_write


def check_inputs(actor: User, stage: str, lines: list[dict[str, Any]], inputs: list[Batch]) -> None:
    """Refuse input lines a transformation cannot take: another unit, more than is available, a stopped batch."""
    errors: dict[int, Any] = {}
    for i, (line, batch) in enumerate(zip(lines, inputs, strict=True)):
        require_batch_write(actor, batch, stage)
        if line["uom"] != batch.uom:
            errors[i] = {"uom": [f"Batch {batch.trace_code} is counted in {batch.uom}."]}
        elif line["quantity"] > batch.available:
            errors[i] = {
                "quantity": [f"Only {batch.available.normalize():f} {batch.uom} of {batch.trace_code} is available."]
            }
        elif batch.status in ("recalled", "destroyed"):
            errors[i] = {"batch": [f"Batch {batch.trace_code} is {batch.status}."]}
    if errors:
        raise QuantityError("An input cannot supply what the transformation consumes.", errors={"inputs": errors})


QUANTUM = Decimal("0.000001")  # the scale of stored quantities


def allocate(consumed: Decimal, outputs: list[Decimal]) -> list[Decimal]:
    """Split what an input gave among the outputs in proportion to their quantities.

    Each share is rounded to the stored scale and the last takes the remainder, so the shares
    add up to exactly what was consumed. Outputs in different units are weighed as numbers:
    a transformation states no conversion between them.
    """
    total = sum(outputs, Decimal(0))
    weights = outputs if total > 0 else [Decimal(1)] * len(outputs)  # quantities are positive; never divide by 0
    total = sum(weights, Decimal(0))
    shares = [(consumed * w / total).quantize(QUANTUM) for w in weights[:-1]]
    return [*shares, consumed - sum(shares, Decimal(0))]
