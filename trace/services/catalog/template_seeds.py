"""The extra fields the eight default categories' templates define, by category and stage (stored form)."""

from __future__ import annotations

from typing import Any


def _field(name: str, zh: str, en: str, kind: str, **more: Any) -> dict[str, Any]:
    return {"name": name, "labelZh": zh, "labelEn": en, "type": kind, "required": more.pop("required", False),
            **more}


def _options(*options: tuple[str, str, str]) -> list[dict[str, str]]:
    return [{"value": value, "labelZh": zh, "labelEn": en} for value, zh, en in options]


EXTRA_FIELDS: dict[str, dict[str, list[dict[str, Any]]]] = {
    "vegetables": {
        "planting": [_field("greenhouse", "大棚编号", "Greenhouse number", "string", maxLength=32)],
    },
    "fruit": {
        "harvest": [_field("brix", "糖度", "Sugar content (Brix)", "number", unit="P1", min="0", max="40")],
    },
    "grain_oil": {
        "harvest": [_field("moisture", "含水率", "Moisture content", "number", unit="P1", min="0", max="100")],
        "processing": [_field("pressing", "压榨方式", "Extraction method", "enum", options=_options(
            ("physical", "物理压榨", "Mechanical pressing"), ("solvent", "浸出", "Solvent extraction")))],
    },
    "tea": {
        "harvest": [_field("pickingStandard", "采摘标准", "Plucking standard", "enum", options=_options(
            ("one_bud_one_leaf", "一芽一叶", "One bud, one leaf"),
            ("one_bud_two_leaves", "一芽二叶", "One bud, two leaves"),
            ("one_bud_three_leaves", "一芽三叶", "One bud, three leaves")))],
        "processing": [_field("craft", "工艺", "Processing craft", "enum", options=_options(
            ("pan_fired", "炒青", "Pan-fired"), ("baked", "烘青", "Baked"), ("sun_dried", "晒青", "Sun-dried"),
            ("steamed", "蒸青", "Steamed"), ("fermented", "全发酵（红茶）", "Fully fermented (black tea)")))],
    },
    "livestock_poultry": {
        "planting": [_field("earTag", "耳标号", "Ear tag number", "string", maxLength=32)],
        "harvest": [_field("quarantineCertificate", "检疫证明编号", "Quarantine certificate number", "string",
                           maxLength=64)],
    },
    "eggs": {
        "harvest": [
            _field("layingDate", "产蛋日期", "Laying date", "date", required=True),
            _field("weightGrade", "蛋重分级", "Weight grade", "enum", options=_options(
                ("XL", "特大（XL）", "Extra large (XL)"), ("L", "大（L）", "Large (L)"),
                ("M", "中（M）", "Medium (M)"), ("S", "小（S）", "Small (S)"))),
        ],
    },
    "aquatic": {
        "planting": [_field("waters", "养殖水域", "Farming waters", "string", maxLength=100)],
        "harvest": [_field("catchMethod", "捕捞方式", "Catch method", "enum", options=_options(
            ("net", "网捕", "Netting"), ("trap", "笼捕", "Trapping"), ("pond_draining", "干塘", "Pond draining"),
            ("line", "钓捕", "Line fishing")))],
    },
    "edible_fungi": {
        "planting": [_field("substrateBatch", "菌棒批次", "Substrate log batch", "string", maxLength=64)],
        "harvest": [_field("flush", "出菇次数", "Flush number", "number", min="1", max="10")],
    },
}


def with_extra_fields(code: str, steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return template steps with the default extra fields of a category added to their stages."""
    extra = EXTRA_FIELDS.get(code, {})
    return [{**step, "fields": [*step.get("fields", []), *extra.get(step["stage"], [])]} for step in steps]
