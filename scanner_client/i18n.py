"""The client's words in Chinese (default) and English."""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    "mode": ("模式", "Mode"),
    "counterpart": ("对方", "Counterpart"),
    "location": ("地点", "Location"),
    "quantity": ("数量", "Quantity"),
    "channel": ("渠道", "Channel"),
    "waiting": ("待上传", "Waiting"),
    "refused": ("被拒绝", "Refused"),
    "accepted": ("已接受", "Accepted"),
    "already": ("已有记录", "Already recorded"),
    "unresolved": ("待识别", "To look up"),
    "server": ("服务器", "Server"),
    "online": ("在线", "reachable"),
    "offline": ("离线", "unreachable"),
    "unknown": ("未知", "unknown"),
    "none": ("未选", "none"),
    "last_scans": ("最近扫描", "Last scans"),
    "receive": ("收货", "Receive"),
    "store": ("入库", "Store"),
    "ship": ("发货", "Ship"),
    "sell": ("销售", "Sell"),
    "sample": ("抽样", "Sample"),
    "mode_set": ("模式：{mode}", "Mode: {mode}"),
    "org_set": ("对方：{name}", "Counterpart: {name}"),
    "location_set": ("地点：{name}", "Location: {name}"),
    "quantity_set": ("下一件数量：{quantity} {uom}", "Next scan's quantity: {quantity} {uom}"),
    "channel_set": ("销售渠道：{name}", "Sales channel: {name}"),
    "cleared": ("已清除数量和对方", "Quantity and counterpart cleared"),
    "queued": ("已记录 {ident}（{mode}）", "Recorded {ident} ({mode})"),
    "duplicate": ("{seconds} 秒内重复扫描 {ident}，已忽略", "{ident} scanned again within {seconds} s: ignored"),
    "bad_check": ("校验位错误，未记录：{detail}", "Bad check character or digit, nothing recorded: {detail}"),
    "no_lot": ("这是商品条码，不是批次码，未记录", "A product barcode names no batch: nothing recorded"),
    "unknown_code": ("无法识别的条码，未记录：{detail}", "Unrecognised barcode, nothing recorded: {detail}"),
    "need_mode": ("请先扫描模式码", "Scan a mode code first"),
    "need_org": ("请先扫描对方（单位）码", "Scan the counterpart's code first"),
    "need_location": ("请先扫描地点码", "Scan a location code first"),
    "need_quantity": ("抽样需先扫描数量码", "Scan a quantity code for the sample size first"),
    "not_enrolled": ("本设备尚未登记：请先运行 enroll", "This device is not enrolled: run enroll first"),
    "enrolled": ("已登记设备 {name}（单位 {org}），密钥 {key}",
                 "Enrolled device {name} (organization {org}), key {key}"),
    "synced": ("上传：接受 {accepted}，已有 {already}，拒绝 {refused}，待上传 {waiting}",
               "Uploaded: {accepted} accepted, {already} already recorded, {refused} refused, {waiting} waiting"),
    "unreachable": ("服务器无法连接，扫描已保存在本机：{detail}", "Server unreachable, scans are kept here: {detail}"),
    "refused_list": ("被拒绝的记录", "Refused records"),
    "sheet_title": ("扫码枪指令表", "Scanner command sheet"),
    "sheet_modes": ("模式", "Modes"),
    "sheet_orgs": ("对方单位", "Counterparts"),
    "sheet_locations": ("地点", "Locations"),
    "sheet_quantities": ("数量", "Quantities"),
    "sheet_channels": ("销售渠道", "Sales channels"),
    "clear": ("清除", "Clear"),
    "written": ("已写入 {path}", "Wrote {path}"),
    "ch_online": ("网店", "Online shop"),
    "ch_market": ("市场", "Market"),
    "ch_supermarket": ("超市", "Supermarket"),
    "ch_wholesale": ("批发", "Wholesale"),
    "ch_restaurant": ("餐饮", "Restaurant"),
    "ch_other": ("其他", "Other"),
    "ready": ("就绪，请扫码（{source}）", "Ready for scans ({source})"),
    "ok": ("成功", "OK"),
    "error": ("错误", "Error"),
}


class Words:
    """Look messages up in one language: ``zh`` (default) or ``en``."""

    def __init__(self, lang: str = "zh") -> None:
        self.index = 1 if lang == "en" else 0
        self.lang = "en" if self.index else "zh"

    def __call__(self, name: str, /, **values: object) -> str:
        text = MESSAGES[name][self.index] if name in MESSAGES else name
        return text.format(**values) if values else text

    def both(self, key: str) -> str:
        """Return a caption in both languages (for the printed sheet)."""
        zh, en = MESSAGES[key]
        return f"{zh} {en}"
