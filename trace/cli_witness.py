"""Flask commands for witnesses: ``flask --app wsgi trace witness serve|key|publish``."""

from __future__ import annotations

import socket
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from trace.db import db, writing

witness = AppGroup("witness", help="Witnesses that cosign the log's checkpoints (c2sp.org/tlog-witness).")

STATE_HELP = "The witness's own folder: its private key and the checkpoints it cosigned."


def _default_name() -> str:
    return f"{socket.gethostname()}/witness"


@witness.command("key")
@click.option("--state", "folder", required=True, type=click.Path(file_okay=False, path_type=Path), help=STATE_HELP)
@click.option("--name", default=None, help="The witness's name (default: <host>/witness).")
def key_command(folder: Path, name: str | None) -> None:
    """Print the witness's verifier key (creating its key on first use), for TRACE_WITNESSES."""
    from trace.witness import WitnessState

    click.echo(WitnessState(folder, name or _default_name()).vkey)


@witness.command("serve")
@click.option("--state", "folder", required=True, type=click.Path(file_okay=False, path_type=Path), help=STATE_HELP)
@click.option("--name", default=None, help="The witness's name (default: <host>/witness).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=7380, show_default=True, type=int)
@click.option("--log", "logs", multiple=True, metavar="ORIGIN=VKEY",
              help="A log the witness cosigns (repeatable; default: this deployment's log and its log keys).")
def serve_command(folder: Path, name: str | None, host: str, port: int, logs: tuple[str, ...]) -> None:
    """Run a witness: cosign checkpoints consistent with the ones it cosigned before, refuse the rest."""
    from werkzeug.serving import run_simple

    from trace import ledger
    from trace.witness import WitnessApp, WitnessState, parse_logs

    state = WitnessState(folder, name or _default_name())
    try:
        known = parse_logs(logs)
    except (ValueError, ledger.LedgerError) as exc:
        raise click.BadParameter(str(exc), param_hint="--log") from exc
    if not known:
        from trace.models import SigningKey

        keys = db.session.scalars(sa.select(SigningKey).where(SigningKey.role == "log")).all()
        if not keys:
            raise click.ClickException("this deployment has no log key yet; pass --log ORIGIN=VKEY")
        known = {current_app.extensions["trace.ledger"].origin:
                 [ledger.parse_vkey(ledger.vkey(k.name, k.public_key)) for k in keys]}
        db.session.remove()
    click.echo(f"witness {state.vkey}", err=True)
    for origin in known:
        click.echo(f"cosigns {origin}", err=True)
    run_simple(host, port, WitnessApp(state, known), threaded=True)


def _post(url: str, body: bytes) -> tuple[int, str]:
    request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "text/plain"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (configured http(s) URLs)
            return response.status, response.read(65536).decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(65536).decode("utf-8", "replace")


@witness.command("publish")
@click.option("--once", is_flag=True, help="One round, then exit (status 1 if a witness refused).")
@click.option("--interval", type=float, default=None, help="Seconds between rounds (default: TRACE_WITNESS_INTERVAL).")
def publish_command(once: bool, interval: float | None) -> None:
    """Send the latest checkpoint to every witness in TRACE_WITNESSES every few seconds; keep their cosignatures."""
    from trace.services.signing.witnesses import publish_round

    config = current_app.config["TRACE"]
    if not config.witnesses:
        raise click.ClickException("no witnesses configured: set TRACE_WITNESSES ('VKEY URL' entries)")
    pause = interval if interval is not None else config.witness_interval
    last: dict[str, str] = {}
    while True:
        with writing():
            try:
                outcomes = publish_round(db.session(), config.witnesses, _post)
                db.session.commit()
            except sa.exc.OperationalError as exc:
                db.session.rollback()
                click.echo(f"database unavailable: {exc.orig}", err=True)
                outcomes = []
            finally:
                db.session.remove()
        bad = False
        for o in outcomes:
            line = f"{o.witness}: {o.status} {o.size} {o.detail}".rstrip()
            bad = bad or o.status in ("refused", "rollback")
            if once or last.get(o.witness) != line:
                click.echo(line, err=o.status not in ("cosigned", "current"))
            last[o.witness] = line
        if once:
            raise SystemExit(1 if bad else 0)
        sys.stdout.flush()
        time.sleep(pause)


def witness_checkpoints(witnesses: tuple[tuple[str, str], ...], origin: str) -> list[str]:
    """Return the latest checkpoint each configured witness serves for the log (GET <url>/<origin hash>/checkpoint)."""
    from trace.witness import origin_hash

    notes = []
    for vkey, url in witnesses:
        name = vkey.split("+", 1)[0]
        try:
            with urllib.request.urlopen(f"{url}/{origin_hash(origin)}/checkpoint", timeout=10) as response:  # noqa: S310
                notes.append(response.read(65536).decode("utf-8"))
        except urllib.error.HTTPError as exc:
            if exc.code != 404:  # 404: it has cosigned nothing for this log yet
                raise click.ClickException(f"witness {name} answered {exc.code}") from exc
        except OSError as exc:
            raise click.ClickException(f"witness {name} is unreachable: {exc}") from exc
    return notes
