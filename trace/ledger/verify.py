"""Verify an audit bundle offline: ``python -m trace.ledger.verify FILE --log-key VKEY``.

Exit status: 0 when everything verifies, 1 when problems were found, 2 when the input
(bundle file or log key) cannot be read. Needs only ``cryptography`` and ``rfc8785``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TextIO

from trace.ledger.b64 import b64encode
from trace.ledger.bundle import BundleReport, load_bundle, verify_bundle
from trace.ledger.errors import LedgerError
from trace.ledger.keys import parse_vkey

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_UNREADABLE = 2


def format_report(report: BundleReport) -> str:
    """Return a human summary of a bundle verification."""
    lines = [f"Log:        {report.origin}"]
    if report.checkpoint is not None:
        cp = report.checkpoint
        lines.append(f"Checkpoint: size {cp.size}, root {b64encode(cp.root_hash)} (signature verified)")
    else:
        lines.append("Checkpoint: NOT VERIFIED")
    lines.append(f"Entries:    {len(report.entries)} readable")
    for entry in report.entries:
        flag = "!!" if report.codes_at(entry.index) else "ok"
        signers = ", ".join(entry.signers) or "no valid signature"
        lines.append(
            f"  {flag} #{entry.index:<8} {entry.stage or '?':<14} {entry.recorded_at or '?':<26} signed by {signers}"
        )
    if report.ok:
        lines.append("Result:     OK, every check passed")
    else:
        lines.append(f"Result:     {len(report.problems)} problem(s)")
        for problem in report.problems:
            where = "bundle" if problem.index is None else f"entry {problem.index}"
            lines.append(f"  {where}: [{problem.code}] {problem.reason}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Run the command line verifier; return the exit status."""
    out = out or sys.stdout
    parser = argparse.ArgumentParser(
        prog="python -m trace.ledger.verify", description="Verify a Suyuan audit bundle offline."
    )
    parser.add_argument("file", help="audit bundle JSON file ('-' for standard input)")
    parser.add_argument("--log-key", required=True, help="the log's C2SP verifier key (name+hash+key)")
    args = parser.parse_args(argv)
    try:
        parse_vkey(args.log_key)
    except LedgerError as exc:
        print(f"error: --log-key: {exc}", file=sys.stderr)
        return EXIT_UNREADABLE
    try:
        if args.file == "-":
            data = sys.stdin.buffer.read()
        else:
            with open(args.file, "rb") as fh:
                data = fh.read()
        report = verify_bundle(load_bundle(data), args.log_key)
    except (OSError, LedgerError) as exc:
        print(f"error: cannot read the bundle: {exc}", file=sys.stderr)
        return EXIT_UNREADABLE
    print(format_report(report), file=out)
    return EXIT_OK if report.ok else EXIT_PROBLEMS


if __name__ == "__main__":
    sys.exit(main())
