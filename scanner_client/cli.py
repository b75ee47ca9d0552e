"""The command line: ``enroll``, ``run``, ``sync [--once]``, ``status``, ``print-commands``, each with ``--home``."""

from __future__ import annotations

import argparse
import base64
import os
import sys
from collections.abc import Sequence

from scanner_client import __version__
from scanner_client.device import NotEnrolledError, create_key, home_dir, load_device, open_outbox
from scanner_client.http import HttpError, UnreachableError, call
from scanner_client.i18n import Words
from scanner_client.outbox import ACCEPTED, ALREADY, REFUSED, UNRESOLVED, WAITING
from scanner_client.records import key_id, public_raw


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m scanner_client",
                                     description="溯源扫码枪客户端 Suyuan scanner client")
    parser.add_argument("--version", action="version", version=__version__)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--home", help="device directory (default ~/.suyuan-scanner)")
    common.add_argument("--lang", choices=("zh", "en"), default=None, help="interface language (default zh)")
    verbs = parser.add_subparsers(dest="verb", required=True)
    enroll = verbs.add_parser("enroll", parents=[common], help="create the device key and register it")
    enroll.add_argument("--server", required=True, help="e.g. https://trace.example.gov.cn")
    enroll.add_argument("--token", required=True, help="a producer's API token (or an enrolment code)")
    enroll.add_argument("--name", required=True, help="the device's name, e.g. gate-1")
    run = verbs.add_parser("run", parents=[common], help="read the scanner and record scans")
    run.add_argument("--serial", help="serial port of the scanner, e.g. /dev/ttyACM0 or COM3")
    run.add_argument("--baud", type=int, default=9600)
    run.add_argument("--plain", action="store_true", help="text lines instead of the full-screen view")
    run.add_argument("--dedup-seconds", type=float, default=10.0,
                     help="ignore a repeated scan of the same code within this many seconds (default 10)")
    run.add_argument("--no-sync", action="store_true", help="keep scans without uploading them")
    sync = verbs.add_parser("sync", parents=[common], help="upload the scans that are waiting")
    sync.add_argument("--once", action="store_true", help="one attempt; do not wait for the server")
    verbs.add_parser("status", parents=[common], help="print mode, counts and refused records")
    sheet = verbs.add_parser("print-commands", parents=[common], help="print the command sheet (PDF)")
    sheet.add_argument("--out", required=True, help="PDF file to write")
    sheet.add_argument("--org", type=int, help="organization whose locations to print (default: the device's)")
    sheet.add_argument("--token", help="an API token, to print the organization's registered locations")
    sheet.add_argument("--location", action="append", default=[], metavar="ID=NAME",
                       help="a location to print (repeatable)")
    sheet.add_argument("--counterpart", action="append", default=[], metavar="ID=NAME",
                       help="a counterpart organization to print (repeatable)")
    sheet.add_argument("--quantity", action="append", default=[], metavar="N:UNIT",
                       help="a quantity code to print, e.g. 10:KGM (repeatable)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    home = home_dir(args.home)
    lang = args.lang or os.environ.get("SUYUAN_SCANNER_LANG") or "zh"
    words = Words(lang)
    if args.verb == "enroll":
        return _enroll(args, home, words)
    try:
        device = load_device(home)
    except NotEnrolledError:
        print(words("not_enrolled"), file=sys.stderr)
        return 2
    if args.verb == "sync":
        from scanner_client.sync import sync_once, sync_until_done

        try:
            if args.once:
                tally = sync_once(device)
            else:
                tally = sync_until_done(device, on_wait=lambda detail, pause: print(
                    words("unreachable", detail=detail), file=sys.stderr, flush=True))
        except UnreachableError as exc:
            device.outbox.put(reachable="offline")
            print(words("unreachable", detail=str(exc)), file=sys.stderr)
            return 3
        device.outbox.put(reachable="online")
        counts = device.outbox.counts()
        print(words("synced", accepted=tally.accepted, already=tally.already, refused=tally.refused,
                    waiting=counts[WAITING] + counts[UNRESOLVED]))
        return 0
    if args.verb == "status":
        print(status_text(device, words))
        return 0
    if args.verb == "print-commands":
        from scanner_client.sheet import write_sheet

        write_sheet(device, args.out, org=args.org, counterparts=args.counterpart, locations=args.location,
                    quantities=args.quantity, token=args.token)
        print(words("written", path=args.out))
        return 0
    from scanner_client.run import run

    return run(device, words, serial=args.serial, baud=args.baud, plain=args.plain,
               dedup_seconds=args.dedup_seconds, sync=not args.no_sync)


def _enroll(args: argparse.Namespace, home: os.PathLike[str], words: Words) -> int:
    from pathlib import Path

    home = Path(home)
    private = create_key(home)
    public = public_raw(private)
    try:
        answer = call(args.server, "POST", "/devices", {"name": args.name,
                                                        "publicKey": base64.b64encode(public).decode()},
                      token=args.token)
    except (HttpError, UnreachableError) as exc:
        print(f"{words('error')}: {exc}", file=sys.stderr)
        return 1
    outbox = open_outbox(home)
    outbox.put(server=args.server.rstrip("/"), org=str(answer["org"]), key_name=answer["name"], device_name=args.name,
               device_id=str(answer.get("device", "")))
    assert key_id(answer["name"], public) == answer["keyId"], "the server names another key"
    print(words("enrolled", name=args.name, org=answer["org"], key=answer["keyId"][:16]))
    outbox.close()
    return 0


def status_text(device: object, words: Words) -> str:
    """Return what the status view shows, as text."""
    from scanner_client.device import Device

    assert isinstance(device, Device)
    box = device.outbox
    counts = box.counts()
    mode = box.get("station.mode")
    lines = [
        f"{words('mode')}: {words(mode) if mode else words('none')}",
        f"{words('counterpart')}: {box.get('station.org_name') or words('none')}",
        f"{words('location')}: {box.get('station.location_name') or words('none')}",
        f"{words('server')}: {device.server} ({words(box.get('reachable') or 'unknown')})",
        f"{words('waiting')}: {counts[WAITING] + counts[UNRESOLVED]}",
        f"{words('accepted')}: {counts[ACCEPTED]}  {words('already')}: {counts[ALREADY]}",
        f"{words('refused')}: {counts[REFUSED]}",
    ]
    refused = box.rows(REFUSED, limit=50)
    if refused:
        lines.append(f"{words('refused_list')}:")
        lines += [f"  {r.scanned_at} {r.ident} {words(r.mode)}: {r.reason}" for r in refused]
    return "\n".join(lines)
