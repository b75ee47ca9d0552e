"""Chinese and English for the public pages: every message in both, the viewer's language, China time.

Each message is one ``key: (中文, English)`` pair, so no string exists in one language only.
Messages are ``str.format`` templates; values are escaped by the templates that show them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from trace.times import CHINA

LANGUAGES = ("zh", "en")
DEFAULT = "zh"
HTML_LANG = {"zh": "zh-CN", "en": "en"}

PAIRS: dict[str, tuple[str, str]] = {
    # page frame
    "site": ("溯源查询", "Trace lookup"),
    "other_language": ("English", "中文"),
    "footer": ("记录由生产经营主体填写并签名，收录于可验证的透明日志。时间为北京时间（UTC+8）。",
               "Records are made and signed by the producers and kept in a verifiable transparency log. "
               "Times are China Standard Time (UTC+8)."),
    # product and batch
    "trace_code": ("追溯码", "Trace code"),
    "serial": ("单品码", "Unit serial"),
    "product_info": ("产品信息", "Product"),
    "category": ("品类", "Category"),
    "brand": ("品牌", "Brand"),
    "regional_brand": ("区域公用品牌", "Regional brand"),
    "gtin": ("商品条码", "GTIN"),
    "lot": ("批号", "Lot"),
    "quantity": ("数量", "Quantity"),
    "produced_at": ("生产日期", "Produced"),
    "producer": ("生产者", "Producer"),
    "region": ("产地", "Region"),
    "phone": ("联系电话", "Phone"),
    "origin": ("产地地块", "Origin plot"),
    "coordinates": ("坐标", "Coordinates"),
    "area": ("面积", "Area"),
    "status": ("状态", "Status"),
    "status_consumed": ("已用于加工", "Used in processing"),
    "status_recalled": ("已召回", "Recalled"),
    "status_destroyed": ("已销毁", "Destroyed"),
    "inputs": ("原料批次", "Made from"),
    # timeline
    "timeline": ("生产流通记录", "Timeline"),
    "no_events": ("暂无记录", "No records yet"),
    # inspections
    "inspections": ("检测结果", "Inspection results"),
    "no_inspections": ("暂无检测记录", "No inspection recorded"),
    "item": ("项目", "Item"),
    "limit": ("限量", "Limit"),
    "measured": ("检测值", "Measured"),
    "result": ("结果", "Result"),
    "lab": ("检测机构", "Laboratory"),
    "report": ("报告编号", "Report no."),
    "method": ("方法", "Method"),
    "pass": ("合格", "Pass"),
    "fail": ("不合格", "Fail"),
    "kind_inspection": ("检测", "Inspection"),
    "kind_sampling": ("抽检", "Sampling"),
    "kind_rapid_test": ("快速检测", "Rapid test"),
    # certifications and 合格证
    "certifications": ("认证", "Certifications"),
    "no_certifications": ("无认证信息", "No certification listed"),
    "cert_green_food": ("绿色食品", "Green Food"),
    "cert_organic": ("有机产品", "Organic"),
    "cert_geographical_indication": ("地理标志农产品", "Geographical indication"),
    "cert_gap": ("良好农业规范（GAP）", "Good Agricultural Practice (GAP)"),
    "cert_pollution_free": ("无公害农产品", "Pollution-free produce"),
    "cert_other": ("其他认证", "Other certification"),
    "cert_number": ("证书编号", "Certificate no."),
    "issuer": ("发证机构", "Issuer"),
    "valid_until": ("有效期至", "Valid until"),
    "certificates": ("承诺达标合格证", "Compliance certificates (合格证)"),
    "no_certificates": ("暂未开具合格证", "No compliance certificate issued yet"),
    "certificate_number": ("合格证编号", "Certificate no."),
    "basis": ("承诺依据", "Basis"),
    # cold chain
    "cold_chain": ("冷链温度", "Cold chain"),
    "no_readings": ("暂无温度记录", "No temperature readings"),
    "readings": ("{n} 个读数，最低 {min} °C，最高 {max} °C", "{n} readings, lowest {min} °C, highest {max} °C"),
    "required_range": ("要求 {min}～{max} °C", "required {min} to {max} °C"),
    "within_range": ("全程在要求范围内", "Within the required range throughout"),
    "outside_range": ("{n} 个读数超出要求范围", "{n} readings outside the required range"),
    # verification
    "verification": ("可信验证", "Verification"),
    "verified_mark": ("✓ 已验证", "✓ Verified"),
    "unverified_mark": ("✗ 未通过验证", "✗ Not verified"),
    "no_records_mark": ("尚无记录", "No records yet"),
    "verified": ("全部 {n} 条记录均由记录单位签名、内容未被改动，并收录于透明日志（检查点 {size}）。",
                 "All {n} records are signed by the organizations that made them, unaltered, and included in "
                 "the transparency log (checkpoint {size})."),
    "not_verified": ("部分记录未能通过签名或日志验证，请谨慎对待并联系监管部门。",
                     "Some records failed the signature or log check. Treat them with care and contact the "
                     "regulator."),
    "no_records": ("尚无可验证的记录。", "There are no records to verify yet."),
    "problem_no-checkpoint": ("日志尚无检查点", "the log has no checkpoint yet"),
    "problem_checkpoint": ("日志检查点的签名无效", "the log checkpoint's signature is invalid"),
    "problem_missing": ("有记录未写入日志", "a record is missing from the log"),
    "problem_leaf": ("日志条目无法读取", "a log entry cannot be read"),
    "problem_record": ("记录内容与签名不符", "a record differs from what was signed"),
    "problem_signature": ("签名无效", "a signature is invalid"),
    "corrected": ("已更正：{reasons}", "Corrected: {reasons}"),
    "voided": ("已作废：{reasons}", "Voided: {reasons}"),
    "problem_chain": ("批次的记录链不完整（有记录缺失或未从登记开始）",
                      "the batch's chain of records is incomplete (a record is missing, or it does not begin "
                      "with its registration)"),
    "problem_facts": ("批次或产品信息与其签名登记不符",
                      "the batch or product details differ from their signed registration"),
    "problem_inclusion": ("记录不在已签名的日志中", "a record is not in the signed log"),
    "proof_bundle": ("下载验证包（可离线核验）", "Download the proof bundle (verifiable offline)"),
    "checkpoint_link": ("日志检查点", "Log checkpoint"),
    "audit_bundle": ("监管审计包（需令牌）", "Audit bundle for inspectors (token required)"),
    # recall
    "recalled_banner": ("此批次已召回，请勿食用或销售。", "This batch has been recalled. Do not eat or sell it."),
    "recall_reason": ("原因：{reason}", "Reason: {reason}"),
    "recall_opened": ("召回时间：{time}", "Recalled on {time}"),
    "recall_closed": ("召回已于 {time} 结束，产品仍不得销售。", "The recall was closed on {time}; the product stays "
                      "off sale."),
    "recall_origin": ("源自批次 {code}", "Started from batch {code}"),
    "recall_status": ("召回状态", "Recall status"),
    "not_recalled": ("无召回记录", "No recall recorded"),
    "upstream_recalled": ("所用原料批次已召回：{codes}", "An input batch was recalled: {codes}"),
    # unit scans
    "scans": ("查询信息", "Lookups"),
    "scan_count": ("查询次数", "Times looked up"),
    "first_scan": ("首次查询时间", "First looked up"),
    "counterfeit_warning": ("注意：此码已被查询 {n} 次，首次查询于 {time}。如果您是第一次扫码，该产品可能是假冒产品，"
                            "请向商家或监管部门核实。",
                            "Caution: this code has been looked up {n} times, first on {time}. If this is your "
                            "first scan, the product may be counterfeit; check with the seller or the regulator."),
    # feedback
    "feedback": ("意见反馈", "Feedback"),
    "feedback_kind": ("类型", "Type"),
    "kind_rating": ("评价", "Rating"),
    "kind_complaint": ("投诉", "Complaint"),
    "rating": ("评分", "Stars"),
    "stars": ("{n} 星", "{n} stars"),
    "message": ("内容", "Message"),
    "contact": ("联系方式（选填）", "Contact (optional)"),
    "send": ("提交", "Send"),
    "feedback_thanks": ("感谢您的反馈！生产者和监管部门会看到它。",
                        "Thank you! The producer and the inspectors will see your feedback."),
    "feedback_check": ("请检查表单。", "Please check the form."),
    "feedback_expired": ("表单已过期或无效，请重新填写。", "The form has expired or is not valid; please fill it in "
                         "again."),
    "feedback_foreign": ("只能从本站页面提交反馈。", "Feedback can only be sent from this site's pages."),
    "err_rating": ("请选择 1～5 星", "Choose 1 to 5 stars"),
    "err_text": ("请填写投诉内容", "Say what is wrong"),
    "err_invalid": ("填写有误", "Not valid"),
    "back": ("返回产品页", "Back to the product page"),
    # errors
    "lookup_title": ("查询追溯码", "Look up a trace code"),
    "lookup_prompt": ("请输入产品标签上的 13 位追溯码。", "Enter the 13-character trace code on the label."),
    "lookup_button": ("查询", "Look up"),
    "unknown_title": ("未找到该追溯码", "Code not found"),
    "unknown_detail": ("追溯码 {code} 格式正确，但系统中没有记录。请核对标签，或向商家咨询。",
                       "The code {code} is well-formed, but nothing is recorded under it. Check the label, or ask "
                       "the seller."),
    "typo_title": ("追溯码有误", "This code has a typo"),
    "typo_check": ("追溯码 {code} 的校验位不符，可能输错了一个字符或颠倒了相邻字符，请再核对一次。",
                   "The check character of {code} does not match: a character may be mistyped or two swapped. "
                   "Please check it again."),
    "typo_length": ("追溯码有 13 位，您输入了 {n} 位。", "A trace code has 13 characters; you entered {n}."),
    "typo_charset": ("追溯码中不会出现这些字符：{chars}", "A trace code never contains: {chars}"),
    "link_title": ("链接无效", "Invalid link"),
    "link_malformed": ("这个 GS1 数字链接格式有误：{detail}", "This GS1 Digital Link is malformed: {detail}"),
    "link_check_digit": ("商品条码 {gtin} 的校验位不正确。", "The check digit of GTIN {gtin} is wrong."),
    "link_unknown": ("没有商品条码 {gtin}、批号 {lot} 的批次。", "No batch has GTIN {gtin} and lot {lot}."),
    "link_unknown_serial": ("该批次没有单品码 {serial}。", "This batch has no unit serial {serial}."),
    "link_product_only": ("此链接只标识商品，请扫描批次标签上的二维码。",
                          "This link names a product only; scan the QR code on the batch label."),
    "busy_title": ("查询过于频繁", "Too many requests"),
    "busy_detail": ("请稍候再试。", "Please try again in a minute."),
    "error_title": ("出错了", "Something went wrong"),
    "error_detail": ("请稍后再试。", "Please try again later."),
    # stage details: stage names and field labels come from trace/stages (Flask-Babel catalogs)
    "days": ("{n} 天", "{n} days"),
    "yes": ("是", "Yes"),
    "no": ("否", "No"),
}

MESSAGES: dict[str, dict[str, str]] = {
    lang: {key: pair[i] for key, pair in PAIRS.items()} for i, lang in enumerate(LANGUAGES)
}


def language_from(asked: str | None, accepted: Iterable[tuple[str, float]]) -> str:
    """Return the page language: ``?lang=`` when it names one, else the best Accept-Language match, else zh.

    Matching is by primary subtag (zh-CN, zh-Hans-CN → zh; en-GB → en), in the client's order of preference.
    """
    for tag in ([asked] if asked else []):
        primary = _primary(tag)
        if primary in LANGUAGES:
            return primary
    for tag, quality in accepted:
        primary = _primary(tag)
        if quality > 0 and primary in LANGUAGES:
            return primary
    return DEFAULT


def _primary(tag: str) -> str:
    return tag.replace("_", "-").split("-", 1)[0].strip().lower()


class Translator:
    """Look up a message in one language: ``t("key", n=3)``."""

    def __init__(self, lang: str) -> None:
        self.lang = lang if lang in LANGUAGES else DEFAULT
        self.messages: Mapping[str, str] = MESSAGES[self.lang]

    def __call__(self, key: str, **values: Any) -> str:
        text = self.messages[key]
        return text.format(**values) if values else text

    def get(self, key: str, fallback: str) -> str:
        """Return a message that may not exist (an enum value from a record), else the fallback."""
        return self.messages.get(key, fallback)

    @property
    def other(self) -> str:
        """Return the language the switch link leads to."""
        return "en" if self.lang == "zh" else "zh"


def show_time(moment: dt.datetime | None) -> str | None:
    """Return a stored UTC time as shown on the page: China time, to the minute."""
    return moment.astimezone(CHINA).strftime("%Y-%m-%d %H:%M") if moment else None


def show_date(moment: dt.datetime | None) -> str | None:
    """Return a stored UTC time as a China date."""
    return moment.astimezone(CHINA).strftime("%Y-%m-%d") if moment else None
