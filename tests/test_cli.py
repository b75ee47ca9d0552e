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
    for line in result.output.splitlines()[:-1]:
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
