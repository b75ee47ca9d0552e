"""`flask trace ...` commands: tokens, seed, demo."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from trace.codes.gtin import normalize_gtin
from trace.codes.tracecode import parse_trace_code
from trace.codes.uscc import is_valid_uscc
from trace.models import Batch, Category, Event, EventBatch, LogEntry, Organization, Product, User
from trace.services.catalog.catalog import DEFAULT_CATEGORIES


def invoke(runner, *args):
    result = runner.invoke(args=["trace", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result


def test_token_prints_a_working_token_on_its_last_line(runner, client):
    result = invoke(runner, "token", "--role", "admin", "--name", "x")
    assert result.exit_code == 0, result.output
    secret = result.output.strip().splitlines()[-1]
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.status_code == 200, me.json
    assert (me.json["user"]["name"], me.json["user"]["role"]) == ("x", "admin")
    assert me.json["organization"]["kind"] == "authority"
    # The admin token can do admin things.
    r = client.post("/api/v1/categories", headers={"Authorization": f"Bearer {secret}"},
                    json={"code": "honey", "nameZh": "蜂蜜", "nameEn": "Honey", "template": [{"stage": "harvest"}]})
    assert r.status_code == 201, r.json


def test_token_reuses_the_user_and_issues_a_new_secret(runner, client, session):
    first = invoke(runner, "token", "--role", "producer", "--name", "y").output.strip().splitlines()[-1]
    second = invoke(runner, "token", "--role", "producer", "--name", "y").output.strip().splitlines()[-1]
    assert first != second
    ids = {client.get("/api/v1/me", headers={"Authorization": f"Bearer {s}"}).json["user"]["id"]
           for s in (first, second)}
    assert len(ids) == 1
    assert session.scalar(sa.select(sa.func.count()).select_from(User).where(User.name == "y")) == 1


def test_token_for_a_given_organization(runner, client, make):
    org = make.org()
    secret = invoke(runner, "token", "--role", "producer", "--name", "z", "--org", str(org.id)).output.split()[-1]
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.json["organization"]["id"] == org.id


def test_token_refuses_a_role_change_or_a_missing_organization(runner):
    assert invoke(runner, "token", "--role", "admin", "--name", "w").exit_code == 0
    changed = invoke(runner, "token", "--role", "producer", "--name", "w")
    assert changed.exit_code == 1
    assert "role admin" in changed.output
    missing = invoke(runner, "token", "--role", "admin", "--name", "v", "--org", "999999")
    assert missing.exit_code == 1
    assert "no organization 999999" in missing.output
    assert invoke(runner, "token", "--role", "root", "--name", "v").exit_code == 2


def test_seed_adds_nothing_twice(runner, session):
    result = invoke(runner, "seed")
    assert result.exit_code == 0
    assert result.output.strip() == "categories added: 0"
    codes = set(session.scalars(sa.select(Category.code)))
    assert {c["code"] for c in DEFAULT_CATEGORIES} <= codes


def _counts(session):
    return {model.__tablename__: session.scalar(sa.select(sa.func.count()).select_from(model))
            for model in (Organization, User, Product, Batch, Event, EventBatch)}


def test_demo_loads_a_county_once(runner, session):
    result = invoke(runner, "demo")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    for line in lines[:next(i for i, line in enumerate(lines) if line.startswith("organizations:"))]:
        parse_trace_code(line.split()[0])

    categories = set(session.scalars(sa.select(Category.code).join(Product, Product.category_id == Category.id)))
    assert len(categories) >= 5

    townships = set(session.scalars(sa.select(Organization.township).where(Organization.kind == "cooperative")))
    assert len(townships - {None}) >= 2
    producer_orgs = session.scalars(
        sa.select(Organization).where(Organization.kind.in_(["cooperative", "family_farm"]))).all()
    assert len(producer_orgs) >= 3
    assert len({o.township for o in producer_orgs}) == len(producer_orgs)
    for org in session.scalars(sa.select(Organization)):
        assert org.credit_code is None or is_valid_uscc(org.credit_code), org.credit_code
    for gtin in session.scalars(sa.select(Product.gtin).where(Product.gtin.is_not(None))):
        assert normalize_gtin(gtin) == gtin

    def role_counts(stage, role):
        return session.execute(
            sa.select(Event.id, sa.func.count()).join(EventBatch, EventBatch.event_id == Event.id)
            .where(Event.stage == stage, EventBatch.role == role).group_by(Event.id)
        ).all()

    assert any(n >= 2 for _, n in role_counts("processing", "input")), "a processing merge"
    assert any(n >= 2 for _, n in role_counts("sorting", "output")), "a sorting split"
    assert session.scalar(sa.select(sa.func.count()).select_from(Batch).where(Batch.status == "consumed")) >= 1

    loaded = _counts(session)
    again = invoke(runner, "demo")
    assert again.exit_code == 0
    assert "already loaded" in again.output
    assert _counts(session) == loaded


def test_demo_data_reads_back_through_the_api(runner, client, session):
    assert invoke(runner, "demo").exit_code == 0
    secret = invoke(runner, "token", "--role", "inspector", "--name", "auditor").output.split()[-1]
    headers = {"Authorization": f"Bearer {secret}"}
    listed = client.get("/api/v1/batches?perPage=500", headers=headers)
    assert listed.status_code == 200
    assert listed.json["total"] >= 10
    pressed = session.scalar(sa.select(Batch).where(Batch.lot == "OIL2026-07"))
    detail = client.get(f"/api/v1/batches/{pressed.trace_code}", headers=headers).json
    stages = [e["stage"] for e in detail["events"]]
    assert stages[:2] == ["registration", "processing"]  # made by the pressing, registered as it was
    assert stages[-2:] == ["receiving", "sale"]
    assert len(detail["events"][1]["inputs"]) == 2
    # processed products show their sources' results, each signed by who vouches for it
    bases = {(r["batch"], r["basis"], r["depth"]) for r in detail["verdict"]["results"]}
    fields = {b.lot: b.trace_code for b in session.scalars(sa.select(Batch).where(Batch.lot.like("R2026-0%")))}
    assert bases == {(fields["R2026-01"], "commissioned", 1), (fields["R2026-02"], "self_check", 1)}
    assert detail["verdict"]["cleared"] is True
    kiwi = session.scalar(sa.select(Batch).where(Batch.lot == "K2026-009A"))
    verdict = client.get(f"/api/v1/batches/{kiwi.trace_code}", headers=headers).json["verdict"]
    assert {(e["kind"], e["by"]["name"]) for e in verdict["endorsements"]} == {
        ("tested", "松阳县农产品质量安全检测站"), ("sampled", "松阳县农业农村局（演示）")}
    tea = session.scalar(sa.select(Batch).where(Batch.lot == "T2026-041P"))
    page = client.get(f"/t/{tea.trace_code}", headers={"Accept": "application/json"}).json
    assert [(r["basisText"], r["lab"]) for r in page["sourceInspections"]] == [
        ("委托检测", "松阳县农产品质量安全检测站")]


@pytest.mark.parametrize("mode", [[], ["--log-only"]])
def test_audit_command_checks_the_demo_log(runner, session, mode):
    assert invoke(runner, "demo").exit_code == 0
    result = invoke(runner, "audit", "--workers", "1", *mode)
    assert result.exit_code == 0, result.output
    assert "OK: the log, its signatures, prev links and checkpoints all verify" in result.output
    entries = int(result.output.split("entries: ")[1].split()[0])
    assert entries == session.scalar(sa.select(sa.func.count()).select_from(LogEntry))


def test_user_add_creates_the_first_administrator_who_can_sign_in(runner, client, session):
    result = invoke(runner, "user", "add", "--org", "县农业农村局测试", "--role", "admin", "--username", "first.admin",
                    "--random-password")
    assert result.exit_code == 0, result.output
    assert "县农业农村局测试" in result.output and "(authority)" in result.output
    password = result.output.strip().splitlines()[-1].rpartition(": ")[2]
    user = session.scalar(sa.select(User).where(User.username == "first.admin"))
    assert user.role == "admin" and user.organization.kind == "authority"
    page = client.get("/login")
    token = page.text.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    signed = client.post("/login", data={"csrf_token": token, "username": "first.admin", "password": password})
    assert signed.status_code == 302 and signed.headers["Location"] == "/console/"


def test_user_add_prompts_for_the_password_and_refuses_a_taken_username(runner, session, make):
    org_id = str(make.org("authority").id)
    typed = "typed in twice please"
    result = runner.invoke(args=["trace", "user", "add", "--org", org_id, "--role", "inspector",
                                 "--username", "prompted"], input=f"{typed}\n{typed}\n")
    assert result.exit_code == 0, result.output
    assert typed not in result.output
    again = runner.invoke(args=["trace", "user", "add", "--org", org_id, "--role", "inspector",
                                "--username", "prompted"], input=f"{typed}\n{typed}\n")
    assert again.exit_code == 1 and "taken" in again.output
    missing = runner.invoke(args=["trace", "user", "add", "--org", "99999", "--role", "admin", "--username", "nobody",
                                  "--random-password"])
    assert missing.exit_code == 1 and "no organization 99999" in missing.output


def test_demo_events_happen_at_working_hours_on_many_days(runner, session):
    from trace.times import CHINA

    assert invoke(runner, "demo").exit_code == 0
    field_work = session.scalars(sa.select(Event.occurred_at).where(
        Event.stage.in_(["planting", "input", "harvest", "shipping", "receiving", "sale", "inspection"]))).all()
    local = [moment.astimezone(CHINA) for moment in field_work]
    assert all(4 <= t.hour <= 20 for t in local), sorted({t.hour for t in local})
    assert len({t.hour for t in local}) >= 8  # not all at one hour of the night
    assert len({t.date() for t in local}) >= 20  # spread over weeks, not one day
    assert len({(t.date(), t.hour, t.minute) for t in local}) >= len(local) // 2  # not one time of day


def test_demo_cold_chain_only_where_produce_is_kept_cold_and_each_batch_its_own(runner, session):
    assert invoke(runner, "demo").exit_code == 0
    rows = session.execute(
        sa.select(Product.category_id, Category.code, Batch.lot, Event.data)
        .join(EventBatch, EventBatch.event_id == Event.id).join(Batch, Batch.id == EventBatch.batch_id)
        .join(Product, Product.id == Batch.product_id).join(Category, Category.id == Product.category_id)
        .where(Event.stage.in_(["storage", "shipping"]))).all()
    series = {}
    for _, category, lot, data in rows:
        if data.get("temperatures"):
            series.setdefault(lot, []).append([r["celsius"] for r in data["temperatures"]])
            assert category not in ("eggs", "grain_oil"), lot  # eggs and oil are not kept cold
    assert {"T2026-041P", "K2026-009A"} <= set(series)
    # The first tomatoes' store and truck have sensors: their records name them, the sensors read the temperatures.
    assert "V2026-088" not in series
    sensed = [data for _, _, lot, data in rows if lot == "V2026-088"]
    assert {d.get("warehouse") or d.get("vehicle") for d in sensed} == {"合作社冷库", "浙K·D1234"}
    assert session.scalar(sa.select(sa.func.count()).select_from(Event).where(Event.stage == "sensor_window")) > 0
    readings = [tuple(s) for lists in series.values() for s in lists]
    assert len(set(readings)) == len(readings)  # no two series alike


def test_demo_has_a_recall_and_a_unit_serial_scanned_often_enough_to_warn(runner, session, client):
    from trace.models import LookupCount

    assert invoke(runner, "demo").exit_code == 0
    recalled = session.scalar(sa.select(Batch).where(Batch.status == "recalled"))
    assert recalled is not None
    page = client.get(f"/t/{recalled.trace_code}", headers={"Accept-Language": "zh-CN"})
    assert "召回" in page.get_data(as_text=True)
    scans = session.scalars(sa.select(LookupCount.count).where(LookupCount.kind == "scan")
                            .order_by(LookupCount.count.desc())).all()
    assert scans[0] > client.application.config["TRACE"].counterfeit_threshold >= scans[1] > 0


def test_demo_organizations_have_no_placeholder_contact(runner, session):
    assert invoke(runner, "demo").exit_code == 0
    names = session.scalars(sa.select(Organization.contact_name)).all()
    assert "联系人" not in names and any(names)


def test_pages_prints_lookup_urls_on_the_public_url_and_how_to_reach_them_from_a_phone(runner, session):
    assert invoke(runner, "demo").exit_code == 0
    output = invoke(runner, "pages").output
    urls = [line.strip() for line in output.splitlines() if line.strip().startswith("HTTPS://")]
    assert len(urls) >= 4
    assert all(url.startswith("HTTPS://TRACE.EXAMPLE.CN/") for url in urls)  # the test config's public URL
    assert any("/21/" in url for url in urls)  # a unit serial's page
    recalled = session.scalar(sa.select(Batch).where(Batch.status == "recalled"))
    assert f"HTTPS://TRACE.EXAMPLE.CN/T/{recalled.trace_code}" in urls
    assert "phone" in output


def test_demo_prints_one_console_user_per_role_once_and_keeps_them_0600(runner, client, session, app):
    import os
    import stat
    from pathlib import Path

    result = invoke(runner, "demo")
    assert result.exit_code == 0, result.output
    shown = result.output.split("console users", 1)[1].splitlines()[1:]
    users = {line.split()[0]: (line.split()[1], line.split()[2]) for line in shown}
    assert set(users) == {"admin", "producer", "station", "lab", "inspector"}
    kept = Path(app.instance_path) / "demo-accounts.txt"
    assert stat.S_IMODE(os.stat(kept).st_mode) == 0o600
    assert all(password in kept.read_text(encoding="utf-8") for _, password in users.values())
    station = session.scalar(sa.select(User).where(User.username == users["station"][0]))
    assert (station.role, station.organization.kind, station.organization.township) == ("station", "station", "新兴镇")
    assert station.organization.township_code is not None
    username, password = users["lab"]
    token = client.get("/login").text.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    signed = client.post("/login", data={"csrf_token": token, "username": username, "password": password})
    assert signed.status_code == 302


def test_townships_seed_and_load(runner, session, tmp_path):
    from trace.models import Township, Village

    assert "added: 24" in invoke(runner, "townships", "seed").output
    assert "added: 0" in invoke(runner, "townships", "seed").output
    csv_file = tmp_path / "county.csv"
    csv_file.write_text("code,name,name_en\n330102001000,清波街道,Qingbo\n330102001001,劳动路社区,\n",
                        encoding="utf-8")
    assert "added: 2" in invoke(runner, "townships", "load", str(csv_file)).output
    assert session.get(Village, "330102001001").township_code == "330102001000"
    csv_file.write_text("code,name,name_en\n330103001000,甲街道,\n330103999201,无主村,\n", encoding="utf-8")
    result = invoke(runner, "townships", "load", str(csv_file))
    assert result.exit_code != 0 and "nothing loaded" in result.output
    assert session.get(Township, "330103001000") is None


def test_stats_rebuild_and_the_monthly_report_from_the_command_line(runner, session, tmp_path):
    import datetime as dt

    from trace.services.catalog.catalog import DEFAULT_CATEGORIES
    from trace.services.statistics.queries import statistics
    from trace.times import CHINA

    invoke(runner, "demo")
    today = dt.datetime.now(CHINA).date()
    year = statistics(session, None, "month", today - dt.timedelta(days=430), today)
    months_with_sales = [r["key"] for r in year["rows"] if r["sales"]["online"]["count"] and
                         r["sales"]["offline"]["count"] and r["aidSales"]["offline"]["count"]]
    assert len(months_with_sales) >= 13
    by_category = statistics(session, None, "category", today - dt.timedelta(days=430), today)["rows"]
    sold = {r["key"] for r in by_category if r["sales"]["offline"]["count"]}
    assert {spec["code"] for spec in DEFAULT_CATEGORIES} <= sold
    by_township = statistics(session, None, "township", today - dt.timedelta(days=430), today)["rows"]
    assert len([r for r in by_township if r["key"] and r["sales"]["online"]["count"]]) >= 5
    result = invoke(runner, "stats", "rebuild", "--check")
    assert result.exit_code == 0 and "OK: the counters agree" in result.output
    result = invoke(runner, "stats", "rebuild")
    assert result.exit_code == 0 and "(0 differed)" in result.output
    month = dt.datetime.now(CHINA).date().isoformat()[:7]
    for suffix, magic in (("csv", b"\xef\xbb\xbfsection,key,name,figure"), ("xlsx", b"PK"), ("pdf", b"%PDF")):
        out = tmp_path / f"report.{suffix}"
        result = invoke(runner, "report", "monthly", "--month", month, "--out", str(out))
        assert result.exit_code == 0, result.output
        assert out.read_bytes().startswith(magic)
    text = (tmp_path / "report.csv").read_text(encoding="utf-8-sig")
    assert "sales_online_amount_cny" in text and "aid_sales_amount_cny" in text
    result = invoke(runner, "report", "monthly", "--month", "2026-13", "--out", str(tmp_path / "x.csv"))
    assert result.exit_code != 0 and "YYYY-MM" in result.output
