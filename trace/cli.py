"""Flask commands: ``flask --app wsgi trace ...``."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from trace.db import db, writing
from trace.models import Organization, User
from trace.models.organization import OrganizationKind, Role

cli = AppGroup("trace", help="Suyuan administration.")


@cli.command("seed")
def seed_command() -> None:
    """Add the default categories that are missing."""
    from trace.services.catalog.catalog import seed_categories

    with writing():
        added = seed_categories(db.session())
        db.session.commit()
    click.echo(f"categories added: {added}")


townships_cli = AppGroup("townships", help="The township register (official division codes).")
cli.add_command(townships_cli)


@townships_cli.command("seed")
def townships_seed_command() -> None:
    """Add the demo county's (松阳县) townships and villages that are missing."""
    from trace.services.organizations.township_seeds import seed_townships

    with writing():
        added = seed_townships(db.session())
        db.session.commit()
    click.echo(f"townships and villages added: {added}")


@townships_cli.command("load")
@click.argument("csv_file", type=click.File("r", encoding="utf-8-sig"))
def townships_load_command(csv_file: Any) -> None:
    """Load a county's register from a CSV with columns code,name,name_en (townships before their villages)."""
    import csv

    from trace.errors import TraceError
    from trace.models import Township, Village
    from trace.services.organizations.townships import create_township, create_village, get_township

    added = 0
    with writing():
        try:
            for row in csv.DictReader(csv_file):
                code, fields = row["code"].strip(), {"code": row["code"].strip(), "name": row["name"].strip(),
                                                     "name_en": (row.get("name_en") or "").strip() or None}
                if code.endswith("000"):
                    if db.session.get(Township, code) is None:
                        create_township(db.session(), None, fields)
                        added += 1
                elif db.session.get(Village, code) is None:
                    create_village(db.session(), None, get_township(db.session(), code[:9] + "000"), fields)
                    added += 1
        except (TraceError, KeyError) as exc:
            db.session.rollback()
            raise click.ClickException(f"nothing loaded: {exc}") from exc
        db.session.commit()
    click.echo(f"townships and villages added: {added}")


stats_cli = AppGroup("stats", help="County statistics (docs/statistics.md).")
cli.add_command(stats_cli)


@stats_cli.command("rebuild")
@click.option("--check", is_flag=True, help="Only compare the counters with the records; change nothing.")
def stats_rebuild_command(check: bool) -> None:
    """Recompute the statistics counters from the records (they must agree with those the pipeline kept)."""
    from trace.services.statistics.rebuild import compare, rebuild

    with writing():
        differences = compare(db.session())
        for line in differences[:50]:
            click.echo(f"DIFFERS {line}")
        if check:
            db.session.rollback()
            click.echo("OK: the counters agree with the records" if not differences
                       else f"{len(differences)} counters differ from the records")
            if differences:
                raise SystemExit(1)
            return
        rows = rebuild(db.session())
        db.session.commit()
    click.echo(f"counters rebuilt: {rows} rows ({len(differences)} differed)")


report_cli = AppGroup("report", help="Reports for the county's upward reporting.")
cli.add_command(report_cli)


@report_cli.command("monthly")
@click.option("--month", required=True, help="The month, YYYY-MM (Asia/Shanghai).")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False),
              help="The file to write; .csv, .xlsx or .pdf says the format.")
def report_monthly_command(month: str, out: str) -> None:
    """Write the county's monthly report (totals, townships, categories, MoM and YoY change)."""
    from trace.errors import TraceError
    from trace.services.statistics.report_files import report_csv, report_pdf, report_xlsx
    from trace.services.statistics.reports import monthly_report

    writers = {".csv": report_csv, ".xlsx": report_xlsx, ".pdf": report_pdf}
    suffix = out[out.rfind("."):].lower() if "." in out else ""
    if suffix not in writers:
        raise click.ClickException("--out must end in .csv, .xlsx or .pdf")
    try:
        report = monthly_report(db.session(), None, month)
    except TraceError as exc:
        raise click.ClickException(exc.detail) from exc
    with open(out, "wb") as fh:
        fh.write(writers[suffix](report))
    click.echo(f"monthly report {report.month} written to {out} ({len(report.rows)} rows)")


@cli.command("demo")
@click.option("--force", is_flag=True, help="Load even if demo data is present.")
def demo_command(force: bool) -> None:
    """Load demo cooperatives, products and batches through full stage chains (once)."""
    from trace.demo import DEMO_MARKER, load_demo
    from trace.demo_accounts import ACCOUNTS_FILE, add_demo_accounts

    with writing():
        present = db.session.scalar(sa.select(Organization.id).where(Organization.name == DEMO_MARKER))
        if present and not force:
            click.echo("demo data already loaded; nothing to do")
            return
        summary = load_demo(db.session(), current_app.extensions["trace.ledger"])
        accounts = add_demo_accounts(db.session(), current_app.instance_path)
        db.session.commit()
    for line in summary:
        click.echo(line)
    click.echo(f"console users (shown once; also in {current_app.instance_path}/{ACCOUNTS_FILE}, mode 0600):")
    for line in accounts:
        click.echo(f"  {line}")


@cli.command("pages")
def pages_command() -> None:
    """Print the public URL, the lookup URLs of a few demo pages, and how to open them from a phone."""
    from trace.config import lan_address
    from trace.demo import demo_pages
    from trace.services.printing.labels import unit_url
    from trace.services.printing.printing import batch_url

    public_url = current_app.config["TRACE"].public_url
    click.echo(f"Every QR code, label and 合格证 points at {public_url}")
    pages = demo_pages(db.session())
    for what, batch, serial in pages:
        url = unit_url(public_url, batch, serial) if serial else batch_url(batch, public_url)
        click.echo(f"  {url}\n      {batch.product.name} {batch.lot}: {what}")
    if not pages:
        click.echo("  (no demo data: flask --app wsgi trace demo)")
    host = (urlsplit(public_url).hostname or "").lower()
    if host in ("127.0.0.1", "localhost", "::1"):
        click.echo("A phone cannot open 127.0.0.1. To scan these codes with a phone on the same network, run "
                   f"`make run HOST=0.0.0.0` (codes then point at http://{lan_address()}:PORT), or set "
                   "TRACE_PUBLIC_URL to an address the phone reaches.")
    else:
        click.echo(f"Open these pages, or scan printed codes, from a phone on the network that reaches {host}; "
                   "let the port through this machine's firewall.")


@cli.command("token")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--name", required=True, help="The user's name (created if missing).")
@click.option("--org", "org_id", type=int, help="Organization id (default: the county authority).")
def token_command(role: str, name: str, org_id: int | None) -> None:
    """Create (or reuse) a user and print a new API token on the last line."""
    from trace.services.organizations.organizations import add_member, create_organization, issue_token

    with writing():
        if org_id is not None:
            org = db.session.get(Organization, org_id)
            if org is None:
                raise click.ClickException(f"no organization {org_id}")
        else:
            org = db.session.scalar(
                sa.select(Organization).where(Organization.kind == OrganizationKind.AUTHORITY).order_by(Organization.id)
            ) or create_organization(db.session(), None, {
                "kind": "authority", "name": "县农业农村局", "name_en": "County Bureau of Agriculture",
                "region": {"province": "未设置", "county": "未设置"},
            })
        user = db.session.scalar(sa.select(User).where(User.organization_id == org.id, User.name == name))
        if user is None:
            user = add_member(db.session(), None, org, name, role)
        elif user.role != role:
            raise click.ClickException(f"{name} exists in {org.name} with role {user.role}")
        _, secret = issue_token(db.session(), None, user, f"cli {name}")
        db.session.commit()
    click.echo(f"user {user.id} ({role}) in organization {org.id} {org.name}")
    click.echo(secret)


@cli.command("audit")
@click.option("--workers", type=int, default=None, help="Processes verifying signatures (default: all cores).")
@click.option("--checkpoint", "checkpoints", multiple=True, type=click.File("r"),
              help="A checkpoint you fetched earlier (signed note); the log must still contain it.")
@click.option("--log-only", is_flag=True,
              help="Signatures and the log only: skip comparing the events table with the signed records.")
@click.option("--witnesses", "ask_witnesses", is_flag=True,
              help="Also fetch the checkpoint each witness in TRACE_WITNESSES cosigned last; the log must hold it.")
def audit_command(workers: int | None, checkpoints: tuple[Any, ...], log_only: bool, ask_witnesses: bool) -> None:
    """Recompute the log; check every signature, prev link and checkpoint; name each bad entry."""
    import os
    import sys
    import time
    from pathlib import Path

    from trace.models import LogEntry
    from trace.services.audit.audit import audit_log

    origin = current_app.extensions["trace.ledger"].origin
    notes = [f.read() for f in checkpoints]
    if ask_witnesses:
        from trace.cli_witness import witness_checkpoints

        notes.extend(witness_checkpoints(current_app.config["TRACE"].witnesses, origin))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(LogEntry)) or 0
    started = time.perf_counter()
    with click.progressbar(length=total, label="auditing", file=sys.stderr) as bar:
        report = audit_log(db.session(), origin, attachments_root=Path(current_app.instance_path),
                           workers=workers or os.cpu_count() or 1, progress=bar.update,
                           external_checkpoints=notes, rows=not log_only)
    elapsed = time.perf_counter() - started
    click.echo(f"entries: {report.entries}  checkpoints: {report.checkpoints}  "
               f"time: {elapsed:.2f} s ({report.entries / elapsed if elapsed else 0:.0f} entries/s)")
    if report.ok:
        click.echo("OK: the log, its signatures, prev links and checkpoints all verify")
        return
    for finding in report.findings:
        click.echo(f"BAD {finding}")
    raise SystemExit(1)


@cli.command("verify-bundle")
@click.argument("bundle", type=click.Path(exists=True, dir_okay=False))
@click.option("--log-key", help="The log's verifier key (default: this deployment's).")
@click.option("--checkpoint", "kept", multiple=True, type=click.File("r"),
              help="A checkpoint you kept (signed note); the bundle's log must extend it.")
@click.option("--witness", "witnesses", multiple=True, help="A witness verifier key you trust (repeatable).")
@click.option("--quorum", type=int, default=None, help="How many --witness keys must have cosigned (default: all).")
def verify_bundle_command(bundle: str, log_key: str | None, kept: tuple[Any, ...], witnesses: tuple[str, ...],
                          quorum: int | None) -> None:
    """Check an audit bundle offline against the log key, checkpoints you kept and witnesses you trust."""
    from trace import ledger
    from trace.ledger.views import check_views
    from trace.models import SigningKey

    if log_key is None:
        key = db.session.scalar(sa.select(SigningKey).where(SigningKey.role == "log").order_by(SigningKey.id))
        if key is None:
            raise click.ClickException("this deployment has no log key yet; pass --log-key")
        log_key = ledger.vkey(key.name, key.public_key)
    try:
        with open(bundle, encoding="utf-8") as fh:
            doc = ledger.load_bundle(fh.read())
        report = ledger.verify_bundle(doc, log_key)
        check_views(doc, report, log_key, [f.read() for f in kept], witnesses, quorum)
    except ledger.LedgerError as exc:
        raise click.ClickException(f"cannot read the bundle: {exc}") from exc
    for entry in report.entries:
        click.echo(f"entry {entry.index}: {entry.stage} {entry.recorded_at} signed by {', '.join(entry.signers)}")
    if report.ok:
        click.echo("OK: every record, signature, proof and prev link verifies")
        return
    for problem in report.problems:
        click.echo(f"BAD entry {problem.index}: [{problem.code}] {problem.reason}")
    raise SystemExit(1)


@cli.command("mqtt")
@click.option("--broker", "--url", "url",
              help="Broker, mqtt://[user:password@]host[:port] or mqtts://… (default: TRACE_MQTT_URL).")
@click.option("--client-id", default="suyuan-ingest", show_default=True,
              help="The persistent session's id at the broker (one ingest per id).")
@click.option("--seal-every", default=30.0, show_default=True, help="Seconds between sealing closed windows.")
def mqtt_command(url: str | None, client_id: str, seal_every: float) -> None:
    """Record signed SenML packs from sensors on suyuan/senml/<org id>/<device name> (docs/sensors.md)."""
    from trace.interop.mqtt import run
    from trace.services.sensors.ingest import SUBSCRIPTION, ingest_messages
    from trace.services.sensors.windows import seal_windows

    url = url or current_app.config["TRACE"].mqtt_url
    click.echo(f"subscribed to {SUBSCRIPTION} on {url.split('@')[-1]} as {client_id}; Ctrl-C stops")
    run(current_app._get_current_object(), url, topic=SUBSCRIPTION,  # type: ignore[attr-defined]
        handle=lambda session, _ledger, items: ingest_messages(session, items),
        tick=lambda session, ledger: seal_windows(session, ledger), client_id=client_id, tick_every=seal_every)


@cli.command("seal-windows")
@click.option("--all", "everything", is_flag=True, help="Seal open windows too (e.g. before a backup).")
def seal_windows_command(everything: bool) -> None:
    """Make the signed record of every closed sensor window now."""
    from trace.services.sensors.windows import seal_windows

    with writing():
        made = seal_windows(db.session(), current_app.extensions["trace.ledger"], everything=everything)
        db.session.commit()
    click.echo(f"{len(made)} window records made")


user_cli = AppGroup("user", help="Console users.")
cli.add_command(user_cli)

# The kind of organization `user add` creates when --org names none yet, by role.
KIND_FOR_ROLE = {"admin": "authority", "inspector": "authority", "lab": "inspection_agency", "station": "station",
                 "producer": "cooperative"}


@user_cli.command("add")
@click.option("--org", "org_ref", required=True, help="Organization id or exact name (created if no such name).")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--username", required=True, help="3–64 of a-z 0-9 . _ -")
@click.option("--random-password", is_flag=True, help="Make a random password and print it once (else prompt).")
def user_add_command(org_ref: str, role: str, username: str, random_password: bool) -> None:
    """Create a console user (the first administrator, say); the password is prompted or printed once."""
    from trace.errors import TraceError
    from trace.services.organizations import accounts
    from trace.services.organizations.organizations import create_organization

    if random_password:
        password = accounts.random_password()
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    with writing():
        session = db.session()
        org = (session.get(Organization, int(org_ref)) if org_ref.isdigit()
               else session.scalar(sa.select(Organization).where(Organization.name == org_ref)))
        try:
            if org is None and org_ref.isdigit():
                raise click.ClickException(f"no organization {org_ref}")
            if org is None:
                org = create_organization(session, None, {"kind": KIND_FOR_ROLE[role], "name": org_ref,
                                                          "region": {"province": "未设置", "county": "未设置"}})
                click.echo(f"organization {org.id} {org.name} created ({org.kind}); set its region in the console")
            user = accounts.add_account(session, None, org, username, role, password)
        except TraceError as exc:
            session.rollback()
            raise click.ClickException(exc.detail) from exc
        session.commit()
    click.echo(f"user {user.id} {user.username} ({role}) in organization {org.id} {org.name}")
    if random_password:
        click.echo(f"password (shown once): {password}")


def _register_groups() -> None:
    from trace.cli_ops import backup_command, master_key, restore_command
    from trace.cli_witness import witness

    for command in (witness, backup_command, restore_command, master_key):
        cli.add_command(command)


_register_groups()
