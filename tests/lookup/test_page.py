"""The public lookup page: content, languages, JSON, typos and unknown codes, recalls, size, headers."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest

from tests.lookup.helpers import HTML, JSON, grow, new_life, text_of
from trace.codes.tracecode import ALPHABET, new_trace_code
from trace.services.lineage.recalls import open_recall

PROBLEM_JSON = "application/problem+json"


def page(client, path, **headers):
    r = client.get(path, headers={**HTML, **headers})
    assert r.mimetype == "text/html", r.data[:300]
    return r, r.get_data(as_text=True)


def test_the_page_shows_product_producer_origin_timeline_inspection_certificates_and_cold_chain(client, life):
    r, html = page(client, f"/T/{life.batch.trace_code}")
    assert r.status_code == 200
    text = text_of(html)
    for expected in ("高山番茄", "蔬菜", "石仓", "松阳好产", "浙江省松阳县新兴镇", "3号地块", "28.45, 119.48",
                     life.producer.org.name, life.batch.trace_code, "2500 千克",
                     # stage timeline, localised, with key data
                     "种植/育苗/投苗", "品种：浙粉702", "农事/投入品", "安全间隔期：7 天", "采收/屠宰/捕捞", "包装",
                     "开具合格证", "仓储", "物流/发货", "收货方：松阳县城东农贸市场", "收货", "销售", "渠道：农贸市场",
                     # inspection results
                     "检测结果", "吡虫啉", "0.5 mg/kg", "0.01 mg/kg", "自检", "SY2026-0088",
                     # certifications and 合格证
                     "绿色食品", "LB-18-2101234567", "HGZ-2026-0088", "质量安全控制符合要求、自行检测合格",
                     # cold chain
                     "最低 3.5 °C，最高 6.2 °C", "要求 0～10 °C", "全程在要求范围内",
                     # verification, feedback form
                     "✓ 已验证", "共 11 条记录，每条都由记录单位签名", "意见反馈"):
        assert expected in text, expected
    assert html.count('<li><time datetime="') == len(life.events) == 10
    # The producer's own test names a laboratory in free text: the page shows it as 自检, signed by the producer.
    assert "松阳县农产品质量安全检测站" not in text and f"签名：{life.producer.org.name}" in text
    assert 'id="recall"' in html and "无召回记录" in text and 'role="alert"' not in html


@pytest.mark.parametrize("prefix", ["/t/", "/T/"])
@pytest.mark.parametrize("spelling", [str.upper, str.lower, lambda c: f"{c[:4]}-{c[4:8]} {c[8:]}".lower()])
def test_both_prefixes_and_any_case_find_the_batch(client, life, prefix, spelling):
    r, html = page(client, prefix + spelling(life.batch.trace_code))
    assert r.status_code == 200
    assert life.batch.trace_code in html


def test_json_gives_the_same_content(client, life):
    r = client.get(f"/t/{life.batch.trace_code.lower()}", headers=JSON)
    assert r.status_code == 200 and r.mimetype == "application/json"
    body = r.json
    assert body["code"] == life.batch.trace_code and body["kind"] == "batch" and body["lang"] == "zh"
    assert [e["id"] for e in body["timeline"]] == [e.id for e in life.events]
    assert body["timeline"][0]["stageName"] == "种植/育苗/投苗"
    assert body["producer"]["name"] == life.producer.org.name
    assert body["product"]["category"] == {"code": "vegetables", "name": "蔬菜"}
    assert body["inspections"][0]["items"][0] == {"item": "吡虫啉", "method": "GB 23200.121", "limit": "0.5",
                                                  "measured": "0.01", "unit": "mg/kg", "result": "pass",
                                                  "resultText": "合格"}
    assert body["certificates"][0]["number"] == "HGZ-2026-0088"
    assert body["coldChain"] | {"text": None, "rangeText": None, "verdict": None} == {
        "readings": 3, "min": "3.5", "max": "6.2", "range": {"min": "0", "max": "10"}, "withinRange": True,
        "outside": 0, "text": None, "rangeText": None, "verdict": None}
    assert body["verification"]["verified"] is True and body["verification"]["records"] == 11
    assert body["recall"]["recalled"] is False and body["unit"] is None
    _, html = page(client, f"/T/{life.batch.trace_code}")
    text = text_of(html)
    for event in body["timeline"]:  # everything the JSON says, the page says
        assert event["stageName"] in text and event["time"] in text
        for detail in event["details"]:
            assert f"{detail['label']}：{detail['value']}" in text
    assert "Link" in r.headers and r.headers["Vary"] == "Accept, Accept-Language, Cookie"


def test_english_by_query_parameter_and_by_accept_language(client, life):
    code = life.batch.trace_code
    _, zh = page(client, f"/T/{code}")
    assert '<html lang="zh-CN">' in zh and 'href="?lang=en"' in zh and ">English<" in zh
    _, en = page(client, f"/T/{code}?lang=en")
    assert '<html lang="en">' in en and 'href="?lang=zh"' in en and ">中文<" in en
    text = text_of(en)
    for expected in ("Highland tomatoes", "Vegetables", "Timeline", "Planting", "Variety: 浙粉702",
                     "Pre-harvest interval: 7 days", "Inspection results", "Pass", "Green Food",
                     "Compliance certificates", "lowest 3.5 °C, highest 6.2 °C", "✓ Verified", "Feedback",
                     "Recipient: 松阳县城东农贸市场", "Channel: Market", "2500 kilogram"):
        assert expected in text, expected
    assert "检测结果" not in text
    client.delete_cookie("lang")  # ?lang=en was remembered; what follows is a first visit's Accept-Language
    for header, lang in (("en-US,en;q=0.9", "en"), ("en-GB", "en"), ("zh-CN,zh;q=0.9,en;q=0.8", "zh"),
                         ("zh-CN,en;q=0.5", "zh"), ("fr-FR,en;q=0.7", "en"), ("fr-FR", "zh"), ("de, *", "zh")):
        r = client.get(f"/T/{code}", headers={**JSON, "Accept-Language": header})
        assert r.json["lang"] == lang, header
    r = client.get(f"/T/{code}?lang=zh", headers={**JSON, "Accept-Language": "en"})
    assert r.json["lang"] == "zh"
    assert client.get(f"/T/{code}?lang=en", headers=JSON).json["timeline"][0]["stageName"] == "Planting"


def test_every_message_exists_in_both_languages_with_the_same_placeholders(catalogs):
    for message in catalogs["zh_CN"]:
        if not message.id:
            continue
        zh, en = message.string, catalogs["en"].get(message.id, message.context).string
        for text in (*([zh] if isinstance(zh, str) else zh), *([en] if isinstance(en, str) else en)):  # plurals
            assert text.strip(), message.id
            first = zh if isinstance(zh, str) else zh[0]
            assert set(re.findall(r"%\((\w+)\)s", text)) == set(re.findall(r"%\((\w+)\)s", first)), message.id


def _typo(code: str) -> str:
    wrong = ALPHABET[(ALPHABET.index(code[5]) + 1) % len(ALPHABET)]
    return code[:5] + wrong + code[6:]


def test_a_typo_is_told_from_an_unknown_code(client, life):
    code = life.batch.trace_code
    r, html = page(client, f"/T/{_typo(code)}")
    assert r.status_code == 400
    assert "追溯码有误" in html and "校验位不符" in html and 'name="code"' in html
    swapped = code[:3] + code[4] + code[3] + code[4 + 1:] if code[3] != code[4] else _typo(code)
    assert client.get(f"/T/{swapped}", headers=HTML).status_code == 400
    r, html = page(client, f"/T/{code[:-2]}")
    assert r.status_code == 400 and "追溯码有 13 位，您输入了 11 位" in html
    r, html = page(client, f"/T/{code[:-1]}_")
    assert r.status_code == 400 and "_" in text_of(html)
    unknown = new_trace_code()
    r, html = page(client, f"/T/{unknown}")
    assert r.status_code == 404 and "未找到该追溯码" in html and unknown in html
    r, html = page(client, f"/T/{unknown}?lang=en")
    assert r.status_code == 404 and "Code not found" in html
    for path, status in ((f"/t/{_typo(code)}", 400), (f"/t/{unknown}", 404)):
        r = client.get(path, headers=JSON)
        assert r.status_code == status and r.mimetype == PROBLEM_JSON
        assert r.json["status"] == status and r.json["detail"]
        assert "Traceback" not in r.get_data(as_text=True)


def test_the_search_form_leads_to_the_page(client, life):
    r, html = page(client, "/T")
    assert r.status_code == 200 and 'action="/T"' in html
    r = client.get(f"/t?code={life.batch.trace_code.lower()}&lang=en")
    assert r.status_code == 303 and r.headers["Location"] == f"/T/{life.batch.trace_code}?lang=en"


def test_a_recalled_batch_shows_the_red_banner(client, life, make, session, ledger):
    inspector = make.actor("inspector")
    open_recall(session, inspector.user, life.batch, "吡虫啉超标 Imidacloprid over the limit", ledger=ledger)
    session.commit()
    r, html = page(client, f"/T/{life.batch.trace_code}")
    assert r.status_code == 200
    banner = re.search(r'<section class="alert" id="recall" role="alert">(.*?)</section>', html, re.S)
    assert banner, html
    assert "此批次已召回，请勿食用或销售" in banner.group(1) and "吡虫啉超标" in banner.group(1)
    body = client.get(f"/T/{life.batch.trace_code}", headers=JSON).json
    assert body["recall"]["recalled"] is True
    assert body["recall"]["notices"][0]["reason"] == "吡虫啉超标 Imidacloprid over the limit"
    assert body["verification"]["verified"] is True  # the recall records are signed and logged too
    _, en = page(client, f"/T/{life.batch.trace_code}?lang=en")
    assert "This batch has been recalled" in en


def test_a_batch_made_from_a_recalled_batch_shows_the_banner(client, gen, make, session, ledger):
    seeds = gen.raw("100")
    (oil,) = gen.transform([(seeds, "100")], ["40"])
    session.commit()
    _, html = page(client, f"/T/{oil.trace_code}")
    assert 'role="alert"' not in html and f'href="/t/{seeds.trace_code}"' in html
    text = text_of(html)
    assert "加工 · " in text and f"原料：{seeds.trace_code} 100 千克；产出：{oil.trace_code} 40 千克" in text
    open_recall(session, gen.producer.user, seeds, "原料霉变", ledger=ledger)
    session.commit()
    _, html = page(client, f"/T/{oil.trace_code}")
    assert 'role="alert"' in html and "原料霉变" in html and f"源自批次 {seeds.trace_code}" in html


def test_an_upstream_batch_recalled_without_reaching_this_one_still_shows(client, gen, session):
    seeds = gen.raw("100")
    (oil,) = gen.transform([(seeds, "100")], ["40"])
    seeds.status = "recalled"  # e.g. recalled by an import that did not propagate
    session.commit()
    body = client.get(f"/T/{oil.trace_code}", headers=JSON).json
    assert body["recall"] == {"recalled": True, "notices": [], "upstream": [seeds.trace_code],
                              "banner": "此批次已召回，请勿食用或销售。"}


def test_html_stays_under_30_kb_with_30_events(client, make, session, ledger):
    life = grow(new_life(make, session, ledger))
    for i in range(10):
        life.record("input", {"inputType": "fertilizer", "product": f"有机肥{i}号", "dose": "200", "doseUnit": "kg/亩"},
                    days=0.5)
        life.record("storage", {"warehouse": "合作社冷库", "temperatures": [
            {"time": "2026-01-01T08:00:00+08:00", "celsius": "4.5"}, {"time": "2026-01-01T09:00:00+08:00",
                                                                      "celsius": "5.5"}]}, days=0.5)
    assert len(life.events) == 30
    for lang in ("zh", "en"):
        r = client.get(f"/T/{life.batch.trace_code}?lang={lang}", headers=HTML)
        assert r.status_code == 200
        size = len(r.data)
        print(f"lookup page with 30 events ({lang}): {size} bytes")
        assert r.get_data(as_text=True).count("<li><time") == 30
        assert size <= 30 * 1024


def test_the_page_makes_no_external_requests_and_needs_no_javascript(client, life):
    _, html = page(client, f"/T/{life.batch.trace_code}")
    links = re.findall(r"""(?:src|href|action|poster|data|srcset)\s*=\s*["']([^"']*)["']""", html, flags=re.I)
    assert links
    for url in links:
        assert re.match(r"^(/(?!/)|\?|#|tel:|data:,$)", url), url
    assert not re.search(r"https?://", html)
    assert "<script" not in html.lower() and " on" not in re.sub(r"<(?:style)[^>]*>.*?</style>", "", html, flags=re.S)
    assert "@import" not in html and "url(" not in html
    for url in links:
        if url.startswith("/") and not url.startswith("/api/v1/batches/"):
            with client.get(url, headers=HTML) as linked:
                assert linked.status_code == 200, url


def test_security_headers_and_a_csp_that_allows_only_the_inline_css(client, life):
    r, html = page(client, f"/T/{life.batch.trace_code}")
    css = re.search(r"<style>(.*?)</style>", html, re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    csp = r.headers["Content-Security-Policy"]
    assert f"style-src 'sha256-{digest}'" in csp
    assert "default-src 'none'" in csp and "script-src" not in csp and "unsafe-inline" not in csp
    assert "form-action 'self'" in csp and "frame-ancestors 'none'" in csp
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["X-Frame-Options"] == "DENY"
    assert r.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert r.headers["Cache-Control"] == "no-cache"
    with open("static/css/lookup.css", encoding="utf-8") as fh:
        assert fh.read().strip() == css  # the inline CSS is the file in static/


def test_lookups_are_rate_limited(client, life, app, monkeypatch):
    monkeypatch.setitem(app.config, "TRACE", app.config["TRACE"].with_(public_rate_limit="3/minute"))
    for _ in range(3):
        assert client.get(f"/T/{life.batch.trace_code}", headers=JSON).status_code == 200
    r, html = page(client, f"/T/{life.batch.trace_code}")
    assert r.status_code == 429 and "查询过于频繁" in html
    assert int(r.headers["Retry-After"]) > 0
    r = client.get(f"/T/{life.batch.trace_code}", headers=JSON)
    assert r.status_code == 429 and r.mimetype == PROBLEM_JSON


def test_a_batch_without_events_or_gtin_still_has_a_page(client, make, session, ledger):
    bare = new_life(make, session, ledger, gtin=False)
    r, html = page(client, f"/T/{bare.batch.trace_code}")
    assert r.status_code == 200
    text = text_of(html)
    assert "暂无记录" in text and "暂无检测记录" in text and "暂无温度记录" in text and "暂未开具合格证" in text
    # its registration record is its only one, and it verifies
    assert "✓ 已验证" in text and "共 1 条记录，每条都由记录单位签名" in text and "未通过验证" not in text
    assert r.headers["Link"].startswith(f"<https://trace.example.cn/T/{bare.batch.trace_code}?linkType=linkset>")


def test_the_verified_mark_turns_when_a_signature_is_tampered(client, life, make, session, ledger):
    from tests.factories import forge_signature

    r, html = page(client, f"/T/{life.batch.trace_code}")
    assert '<p class="mark ok"><a href="#verification">✓ 已验证</a></p>' in html
    forge_signature(session, life.events[4])
    new_life(make, session, ledger).record("storage", {"warehouse": "另一家的冷库"})  # the log grows
    r, html = page(client, f"/T/{life.batch.trace_code}")
    assert r.status_code == 200
    assert '<p class="mark bad"><a href="#verification">✗ 未通过验证</a></p>' in html
    assert "签名无效" in html and "记录不在已签名的日志中" in html
    body = client.get(f"/T/{life.batch.trace_code}?lang=en", headers=JSON).json["verification"]
    assert body["verified"] is False and body["state"] == "failed"
    assert {(p["kind"], p["event"]) for p in body["problems"]} == {("signature", life.events[4].id),
                                                                   ("inclusion", life.events[4].id)}
    assert body["problemTexts"] == ["a signature is invalid", "a record is not in the signed log"]


def test_the_proof_bundle_is_public_and_verifies_offline(client, life, app):
    from trace import ledger as ledger_lib

    r = client.get(f"/t/{life.batch.trace_code.lower()}/proof")
    assert r.status_code == 200 and r.mimetype == "application/json"
    assert r.headers["Content-Disposition"] == f'attachment; filename="proof-{life.batch.trace_code}.json"'
    bundle = ledger_lib.load_bundle(r.data)
    log_vkey = next(k["vkey"] for k in client.get("/api/v1/log/keys").json if k["role"] == "log")
    report = ledger_lib.verify_bundle(bundle, log_vkey)
    assert report.ok, report
    assert len(report.entries) == 11  # the registration and ten stages


def _card(html: str) -> str:
    found = re.search(r'<section class="card" id="verification">(.*?)</section>', html, re.S)
    assert found, html[:500]
    return found.group(1)


def test_the_verification_card_says_what_was_verified_and_by_whom_with_the_proofs_one_tap_away(client, life):
    html = client.get(f"/T/{life.batch.trace_code}", headers=HTML).get_data(as_text=True)
    card = _card(html)
    text = text_of(card)
    producer = life.producer.org.name
    signers = rf"{re.escape(producer)}（\d+ 条）、松阳县城东农贸市场（2 条）"
    assert re.search(rf"共 \d+ 条记录，每条都由记录单位签名：{signers}", text), text
    assert "签名后没有任何记录被改动" in text and "自批次登记起，记录链完整" in text
    details = re.search(r"<details><summary>技术细节：签名与证明</summary>(.*?)</details>", card, re.S)
    assert details and f'href="/t/{life.batch.trace_code}/proof"' in details.group(1)  # one tap away
    assert "/proof" not in card.replace(details.group(0), "")  # and not before it
    assert "audit-bundle" not in html and "token" not in text_of(card).lower()  # nothing that needs a token


def test_beside_a_recall_nothing_reads_as_safe(client, life, make, session, ledger):
    open_recall(session, make.actor("inspector").user, life.batch, "吡虫啉超标", ledger=ledger)
    session.commit()
    html = client.get(f"/T/{life.batch.trace_code}", headers=HTML).get_data(as_text=True)
    assert "✓" not in text_of(html)  # no tick anywhere under the red banner
    assert '<p class="mark ok">' not in html
    assert '<p class="mark note"><a href="#verification">记录完整，但不代表安全' in html
    assert "验证只证明谁记录了什么，不证明产品安全" in text_of(_card(html))
    en = client.get(f"/T/{life.batch.trace_code}?lang=en", headers=HTML).get_data(as_text=True)
    assert "✓" not in text_of(en) and "not that the product is safe" in text_of(_card(en))
