"""Lookup page under load: throughput against a trivial endpoint of the same app, p99, HTML size.

Starts gunicorn (2 workers) on a temporary SQLite instance, records a batch with 30 signed
events through the API, then runs wrk at 16 connections against ``/healthz`` and the lookup
page ``/t/<code>``, one after the other in the same run, and prints requests/s for both, their
ratio, p99 latency and the page's size. Until ``/t/<code>`` answers 200 it measures
``GET /api/v1/batches/<code>`` (with a token) instead, and says so.

Budgets (DESIGN.md §10): lookup ≥ 60 % of the trivial endpoint's throughput, p99 ≤ 50 ms at 16
connections, HTML ≤ 30 KB. wrk shares the machine's cores with the server, as it would with a
proxy in front of it; on 2 cores that costs both endpoints alike.

Rate limiting is switched off for this private instance through TRACE_RATE_LIMIT_ENABLED=0.

    apt-get install -y wrk
    .venv/bin/python bench/lookup.py [--seconds 10] [--connections 16] [--workers 2] [--check]
"""

from __future__ import annotations

import argparse
import datetime as dt
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

GUNICORN_VERSION = "27.0.1"
RATIO_BUDGET, P99_BUDGET_MS, HTML_BUDGET = 0.6, 50.0, 30 * 1024
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


def seed(port: int, admin: str) -> tuple[str, str]:
    """Record a producer, a product and a batch with 30 events; return the trace code and a token."""
    org = api(port, "POST", "/api/v1/organizations", admin, {
        "kind": "cooperative", "name": "大东坝高山蔬菜专业合作社",
        "region": {"province": "浙江省", "county": "松阳县", "township": "大东坝镇", "village": "石仓村"},
        "contact": {"name": "王五", "phone": "0578-8000000"}})
    user = api(port, "POST", f"/api/v1/organizations/{org['id']}/members", admin, {"name": "p", "role": "producer"})
    token = api(port, "POST", f"/api/v1/organizations/{org['id']}/members/{user['id']}/tokens", admin,
                {"name": "bench"})["token"]
    product = api(port, "POST", "/api/v1/products", token, {"category": "vegetables", "name": "高山番茄"})
    code = api(port, "POST", "/api/v1/batches", token, {
        "product": product["id"], "lot": "V2026-088", "quantity": "2500", "uom": "KGM",
        "origin": {"name": "石仓村大棚7号", "latitude": "28.3301", "longitude": "119.3455"}})["code"]
    when = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))) - dt.timedelta(days=40)
    result = api(port, "POST", "/api/v1/events/bulk", token, {"events": thirty_events(code, when)})
    assert result["created"] == 30, result
    return code, token


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
        code, token = seed(port, instance.admin)
        status, page = call(port, "GET", f"/t/{code}", headers=BROWSER)
        if status == 200:
            target, headers, what = f"/t/{code}", BROWSER, "lookup page /t/<code>"
        else:
            target, headers = f"/api/v1/batches/{code}", {"Authorization": f"Bearer {token}"}
            what = f"GET /api/v1/batches/<code> (stand-in: /t/<code> answered {status})"
            page = call(port, "GET", target, token)[1]
        base = f"http://127.0.0.1:{port}"
        warm = max(2, args.seconds // 5)
        wrk(f"{base}/healthz", warm, args.connections, args.threads, {})
        wrk(base + target, warm, args.connections, args.threads, headers)
        trivial = wrk(f"{base}/healthz", args.seconds, args.connections, args.threads, {})
        lookup = wrk(base + target, args.seconds, args.connections, args.threads, headers)

    ratio = lookup.requests_per_s / trivial.requests_per_s
    print(f"gunicorn {GUNICORN_VERSION}, {args.workers} workers, SQLite; wrk {args.threads} threads, "
          f"{args.connections} connections, {args.seconds} s each; {os.cpu_count()} cores shared")
    print(f"batch {code} with 30 events; measured: {what}")
    for result, name in ((trivial, "/healthz"), (lookup, "lookup")):
        print(f"  {name:12} {result.requests_per_s:8.0f} req/s   p50 {result.p50_ms:6.1f} ms   "
              f"p99 {result.p99_ms:6.1f} ms")
    for result, name in ((trivial, "/healthz"), (lookup, "lookup")):
        if result.non_2xx:
            print(f"  WARNING: {result.non_2xx} non-2xx/3xx answers from {name}")
    checks = [
        (f"throughput ratio {ratio:.2f} (budget ≥ {RATIO_BUDGET})", ratio >= RATIO_BUDGET),
        (f"lookup p99 {lookup.p99_ms:.1f} ms (budget ≤ {P99_BUDGET_MS:.0f} ms)", lookup.p99_ms <= P99_BUDGET_MS),
        (f"page size {len(page) / 1024:.1f} KB (budget ≤ {HTML_BUDGET // 1024} KB)", len(page) <= HTML_BUDGET),
    ]
    for text, ok in checks:
        print(f"  {text}: {'ok' if ok else 'MISSED'}")
    return 3 if args.check and not all(ok for _, ok in checks) else 0


if __name__ == "__main__":
    sys.exit(main())
