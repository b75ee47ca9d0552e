"""Lookup pages under load: throughput against a trivial endpoint of the same app, p99, HTML size.

Starts gunicorn (2 workers) on a temporary SQLite instance and records, through the API, a fixed
fixture: a tea leaf batch tested by a laboratory (a test request answered by the lab's signed
result), processed into a packed tea batch with a GTIN, a product photo and 30 signed events, and
a run of unit serials. Then runs wrk at 16 connections, one after the other in the same run,
against ``/healthz`` and the page of that batch by its trace code (``/t/<code>``), by its GS1
Digital Link path (``/01/<gtin>/10/<lot>``) and of one of its unit serials (``/T/<serial>``: each
lookup counted, in the lookup counters), and prints requests/s, ratios to ``/healthz``, p99 and
the page's size.

Budgets (DESIGN.md §10, issue 12): batch pages ≥ 0.8 × and unit pages ≥ 0.6 × the trivial
endpoint's throughput, p99 ≤ 50 ms at 16 connections, HTML ≤ 30 KB. wrk shares the machine's
cores with the server, as it would with a proxy in front of it; on 2 cores that costs every
endpoint alike.

Rate limiting is switched off for this private instance through TRACE_RATE_LIMIT_ENABLED=0.

    apt-get install -y wrk
    .venv/bin/python bench/lookup.py [--seconds 10] [--connections 16] [--workers 2] [--check]
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import re
import shutil
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from server import GUNICORN, api, call, serve  # noqa: E402  (bench/server.py)

from trace.codes.gtin import gs1_check_digit  # noqa: E402

GUNICORN_VERSION = "27.0.1"
BATCH_RATIO, UNIT_RATIO, P99_BUDGET_MS, HTML_BUDGET = 0.8, 0.6, 50.0, 30 * 1024
BROWSER = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8", "Accept-Language": "zh-CN,zh;q=0.9"}


@dataclass(frozen=True)
class WrkResult:
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    non_2xx: int


def thirty_events(code: str, when: dt.datetime) -> list[dict]:
    """Return a batch's life in 30 events: planting, inputs, harvest, tests, packing, 合格证, storage, sales."""
    def event(stage: str, data: dict, hours: int) -> dict:
        return {"id": str(uuid.uuid4()), "stage": stage, "batches": [code], "data": data,
                "occurredAt": (when + dt.timedelta(hours=hours)).isoformat()}

    residue = [{"item": "毒死蜱", "method": "GB 23200.113", "limit": "0.02", "measured": "0.003", "unit": "mg/kg",
                "result": "pass"}]
    events = [event("planting", {"plot": "石仓村大棚7号", "variety": "浙粉702", "area": "12", "areaUnit": "MU"}, 0)]
    for i in range(8):
        pesticide = i % 2 == 1
        events.append(event("input", {
            "inputType": "pesticide" if pesticide else "fertilizer",
            "product": "吡虫啉可湿性粉剂" if pesticide else "有机肥", "dose": "30", "doseUnit": "mL/亩",
            **({"registrationNumber": "PD20101234", "preHarvestIntervalDays": 7} if pesticide else {})}, 24 * (i + 1)))
    events.append(event("harvest", {"quantity": "2500", "uom": "KGM"}, 24 * 30))
    for i in range(3):
        events.append(event("inspection", {"items": residue, "result": "pass", "lab": "松阳县农产品质量安全检测站",
                                           "reportNumber": f"SY-{i}"}, 24 * 30 + 2 + i))
    events.append(event("packing", {"packageType": "礼盒", "units": 500}, 24 * 31))
    events.append(event("certificate", {"number": "HGZ-BENCH-1", "basis": ["quality_control", "self_test"]},
                        24 * 31 + 1))
    for i in range(13):
        start = when + dt.timedelta(hours=24 * 31 + 2 + i)
        events.append(event("storage", {"warehouse": "合作社冷库", "temperatures": [
            {"time": (start + dt.timedelta(minutes=10 * k)).isoformat(), "celsius": f"{3.5 + k / 10:.1f}"}
            for k in range(4)]}, 24 * 31 + 2 + i))
    for i in range(2):
        events.append(event("sale", {"channel": "supermarket", "quantity": "100", "uom": "KGM"}, 24 * 32 + i))
    assert len(events) == 30
    return events


def jpeg(width: int = 1600, height: int = 1200) -> bytes:
    """Return a photo-like JPEG (a gradient), as a phone would upload."""
    from PIL import Image

    image = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


@dataclass(frozen=True)
class Fixture:
    code: str
    gtin: str
    lot: str
    serial: str


def _member(port: int, admin: str, org: dict, role: str) -> tuple[int, str]:
    created = api(port, "POST", "/api/v1/organizations", admin, org)
    user = api(port, "POST", f"/api/v1/organizations/{created['id']}/members", admin, {"name": role, "role": role})
    token = api(port, "POST", f"/api/v1/organizations/{created['id']}/members/{user['id']}/tokens", admin,
                {"name": "bench"})["token"]
    return created["id"], token


def seed(port: int, admin: str) -> Fixture:
    """Record the fixture: a lab-tested leaf batch processed into packed tea with a photo, 30 events, unit serials."""
    _, token = _member(port, admin, {
        "kind": "cooperative", "name": "大东坝高山茶叶专业合作社",
        "region": {"province": "浙江省", "county": "松阳县", "township": "大东坝镇", "village": "石仓村"},
        "contact": {"name": "王五", "phone": "0578-8000000"}}, "producer")
    lab_id, lab = _member(port, admin, {
        "kind": "inspection_agency", "name": "松阳县农产品质量安全检测站",
        "region": {"province": "浙江省", "county": "松阳县"}}, "lab")
    leaf = api(port, "POST", "/api/v1/products", token, {"category": "tea", "name": "高山茶鲜叶"})
    body = "690123400088"
    gtin = body + str(gs1_check_digit(body))
    photo = call(port, "POST", "/api/v1/attachments?name=tea.jpg", token, jpeg(), {"Content-Type": "image/jpeg"})
    if photo[0] != 201:
        raise SystemExit(f"photo upload: {photo[0]} {photo[1][:300]!r}")
    packed = api(port, "POST", "/api/v1/products", token, {
        "category": "tea", "name": "松阳银猴 高山绿茶", "gtin": gtin, "photo": json.loads(photo[1])["sha256"]})
    when = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))) - dt.timedelta(days=40)
    source = api(port, "POST", "/api/v1/batches", token, {
        "product": leaf["id"], "lot": "L2026-031", "quantity": "300", "uom": "KGM",
        "origin": {"name": "石仓村茶园3号", "latitude": "28.3301", "longitude": "119.3455"}})["code"]
    items = [{"item": "吡虫啉", "method": "GB 23200.121", "limit": "0.5", "measured": "0.01", "unit": "mg/kg",
              "result": "pass"}]
    asked = api(port, "POST", "/api/v1/events", token, {
        "id": str(uuid.uuid4()), "stage": "test_request", "batches": [source],
        "occurredAt": (when - dt.timedelta(days=2)).isoformat(), "data": {"laboratory": lab_id, "items": ["吡虫啉"]}})
    api(port, "POST", "/api/v1/events", lab, {
        "id": str(uuid.uuid4()), "stage": "inspection", "batches": [source],
        "occurredAt": (when - dt.timedelta(days=1)).isoformat(),
        "data": {"items": items, "result": "pass", "reportNumber": "SY2026-0031", "request": asked["id"]}})
    made = api(port, "POST", "/api/v1/transformations", token, {
        "id": str(uuid.uuid4()), "stage": "processing", "occurredAt": when.isoformat(),
        "inputs": [{"batch": source, "quantity": "300", "uom": "KGM"}],
        "outputs": [{"product": packed["id"], "lot": "T2026-088", "quantity": "2500", "uom": "KGM"}]})
    code = made["outputs"][0]["batch"]
    result = api(port, "POST", "/api/v1/events/bulk", token, {"events": thirty_events(code, when)})
    assert result["created"] == 30, result
    run = api(port, "POST", f"/api/v1/batches/{code}/labels", token, {"count": 100})
    return Fixture(code, gtin, "T2026-088", run["units"][0]["serial"])


_LATENCY = re.compile(r"^\s*(50|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)
_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(url: str, seconds: int, connections: int, threads: int, headers: dict[str, str]) -> WrkResult:
    """Run wrk and return its throughput and latency percentiles."""
    args = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    out = subprocess.run([*args, url], check=True, capture_output=True, text=True).stdout
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    latency = {p: float(v) * _UNIT_MS[u] for p, v, u in _LATENCY.findall(out)}
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    if rate is None or set(latency) != {"50", "99"}:
        raise SystemExit(f"cannot read wrk's output:\n{out}")
    return WrkResult(float(rate.group(1)), latency["50"], latency["99"], int(non_2xx.group(1)) if non_2xx else 0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--check", action="store_true", help="exit 3 when a budget is missed")
    args = parser.parse_args()

    if shutil.which("wrk") is None:
        print("bench/lookup.py needs wrk, which is not installed: apt-get install -y wrk", file=sys.stderr)
        return 1
    version = subprocess.run([str(GUNICORN), "--version"], capture_output=True, text=True).stdout
    if GUNICORN_VERSION not in version:
        print(f"expected gunicorn {GUNICORN_VERSION} in .venv, found {version.strip() or 'none'}", file=sys.stderr)
        return 1

    with serve(workers=args.workers, TRACE_RATE_LIMIT_ENABLED="0") as instance:
        port = instance.port
        fixture = seed(port, instance.admin)
        targets = {"batch /t/<code>": f"/t/{fixture.code}",
                   "batch /01/<gtin>/10/<lot>": f"/01/{fixture.gtin.zfill(14)}/10/{fixture.lot}",
                   "unit /T/<serial>": f"/T/{fixture.serial}"}
        pages = {}
        for name, path in targets.items():
            status, pages[name] = call(port, "GET", path, headers=BROWSER)
            if status != 200:
                raise SystemExit(f"{path} answered {status}: {pages[name][:300]!r}")
        base = f"http://127.0.0.1:{port}"
        warm = max(2, args.seconds // 5)
        for path in ("/healthz", *targets.values()):
            wrk(base + path, warm, args.connections, args.threads, BROWSER)
        before = wrk(f"{base}/healthz", args.seconds, args.connections, args.threads, {})
        measured = {name: wrk(base + path, args.seconds, args.connections, args.threads, BROWSER)
                    for name, path in targets.items()}
        after = wrk(f"{base}/healthz", args.seconds, args.connections, args.threads, {})
        load = os.getloadavg()
    # /healthz before and after the pages: on a shared machine the load drifts during a run
    trivial = WrkResult((before.requests_per_s + after.requests_per_s) / 2, (before.p50_ms + after.p50_ms) / 2,
                        max(before.p99_ms, after.p99_ms), before.non_2xx + after.non_2xx)

    print(f"gunicorn {GUNICORN_VERSION}, {args.workers} workers, SQLite; wrk {args.threads} threads, "
          f"{args.connections} connections, {args.seconds} s each; {os.cpu_count()} cores shared; "
          f"load average after the run {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(f"batch {fixture.code} (30 events, a product photo, a lab result through lineage), "
          f"unit {fixture.serial}")
    for name, result in (("/healthz (before)", before), ("/healthz (after)", after)):
        print(f"  {name:28} {result.requests_per_s:8.0f} req/s   p50 {result.p50_ms:6.1f} ms   "
              f"p99 {result.p99_ms:6.1f} ms")
    checks = []
    for name, result in measured.items():
        ratio = result.requests_per_s / trivial.requests_per_s
        print(f"  {name:28} {result.requests_per_s:8.0f} req/s   p50 {result.p50_ms:6.1f} ms   "
              f"p99 {result.p99_ms:6.1f} ms   {ratio:4.2f} ×")
        budget = UNIT_RATIO if name.startswith("unit") else BATCH_RATIO
        checks.append((f"{name} throughput {ratio:.2f} × (budget ≥ {budget})", ratio >= budget))
        checks.append((f"{name} p99 {result.p99_ms:.1f} ms (budget ≤ {P99_BUDGET_MS:.0f} ms)",
                       result.p99_ms <= P99_BUDGET_MS))
        if result.non_2xx:
            checks.append((f"{name}: {result.non_2xx} non-2xx/3xx answers", False))
    for name, page in pages.items():
        checks.append((f"{name} page size {len(page) / 1024:.1f} KB (budget ≤ {HTML_BUDGET // 1024} KB)",
                       len(page) <= HTML_BUDGET))
    for text, ok in checks:
        print(f"  {text}: {'ok' if ok else 'MISSED'}")
    return 3 if args.check and not all(ok for _, ok in checks) else 0


if __name__ == "__main__":
    sys.exit(main())
