"""Verify an audit bundle offline: ``python -m trace.ledger.verify FILE --log-key VKEY``.

``--checkpoint FILE`` (repeatable): a checkpoint you kept; the bundle's log must extend it
(a rollback and a fork are named). ``--witness VKEY`` (repeatable) with ``--quorum N``
(default: all of them): that many of these witnesses must have cosigned the bundle's log.

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
from trace.ledger.cosignature import parse_witness_vkey
from trace.ledger.errors import LedgerError
from trace.ledger.keys import parse_vkey
from trace.ledger.views import check_views

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
    parser.add_argument("--checkpoint", action="append", default=[], metavar="FILE",
                        help="a signed checkpoint you kept earlier; the bundle's log must extend it (repeatable)")
    parser.add_argument("--witness", action="append", default=[], metavar="VKEY",
                        help="a witness you trust (C2SP verifier key, type 0x04; repeatable)")
    parser.add_argument("--quorum", type=int, default=None,
                        help="how many of the --witness keys must have cosigned (default: all)")
    args = parser.parse_args(argv)
    try:
        parse_vkey(args.log_key)
        for witness in args.witness:
            parse_witness_vkey(witness)
    except LedgerError as exc:
        print(f"error: --log-key/--witness: {exc}", file=sys.stderr)
        return EXIT_UNREADABLE
    if args.quorum is not None and not 1 <= args.quorum <= len(args.witness):
        print("error: --quorum must be between 1 and the number of --witness keys", file=sys.stderr)
        return EXIT_UNREADABLE
    try:
        kept = []
        for name in args.checkpoint:
            with open(name, encoding="utf-8") as fh:
                kept.append(fh.read())
    except (OSError, UnicodeDecodeError) as exc:
        print(f"error: cannot read --checkpoint: {exc}", file=sys.stderr)
        return EXIT_UNREADABLE
    try:
        if args.file == "-":
            data = sys.stdin.buffer.read()
        else:
            with open(args.file, "rb") as fh:
                data = fh.read()
        bundle = load_bundle(data)
        report = verify_bundle(bundle, args.log_key)
        check_views(bundle, report, args.log_key, kept, args.witness, args.quorum)
    except (OSError, LedgerError) as exc:
        print(f"error: cannot read the bundle: {exc}", file=sys.stderr)
        return EXIT_UNREADABLE
    print(format_report(report), file=out)
    return EXIT_OK if report.ok else EXIT_PROBLEMS


if __name__ == "__main__":
    sys.exit(main())
