"""docs/rules.md's reference part is generated from the shipped rule sets and must
stay equal to them; its hand-written part must name what the report relies on."""

from __future__ import annotations

import json
from pathlib import Path

from evidence_locker.rules import describe_rule_sets, render_rules_markdown, shipped_rule_sets
from evidence_locker.rules.describe import generated_part
from evidence_locker.rules.phrasebook import shipped_groups

DOC = Path(__file__).resolve().parent.parent / "docs" / "rules.md"


def test_docs_rules_md_reference_is_the_generated_text():
    assert generated_part(DOC.read_text(encoding="utf-8")) == render_rules_markdown(), (
        "docs/rules.md is stale: regenerate it with describe.update_rules_doc"
    )


def test_docs_list_every_rule_reference_and_phrase_group_in_both_languages():
    text = render_rules_markdown()
    for rs in shipped_rule_sets():
        for rule in rs.rules:
            section = text.split(f"### {rule.id}\n", 1)[1].split("\n### ", 1)[0]
            assert rule.source_url in section and rule.description_en in section
            assert rule.description_zh in section and f"**{rule.confidence}**" in section
            assert rule.citation("zh") in section
        for ref in rs.references:
            assert f"| {ref.id} |" in text and ref.source_url in text
    for gid in shipped_groups():
        assert f"### `{gid}`" in text


def test_the_json_shape_and_the_clock_order_are_documented():
    doc = DOC.read_text(encoding="utf-8")
    for key in ("rule_sets_chosen", "time_zone", "notes", "groups", "findings", "sources"):
        assert f"`{key}`" in doc
    assert "config tz" in doc and "config rules" in doc and "never used" in doc


def test_describe_rule_sets_in_both_languages_is_json_ready():
    en, zh = describe_rule_sets("en"), describe_rule_sets("zh")
    assert [s["name"] for s in en] == ["cn", "uk", "us"]
    cn_en, cn_zh = en[0]["rules"][0], zh[0]["rules"][0]
    assert cn_en["id"] == cn_zh["id"] == "CN-CBA-TIME"
    assert cn_en["params"]["start"] == "22:00" and cn_en["in_force_from"] == "2026-01-30"
    assert cn_en["description"] != cn_zh["description"] and "22:00" in cn_zh["description"]
    assert cn_zh["confidence_text"] == "来自二手资料"
    assert cn_zh["source"].startswith("中国银行业协会《")
    json.dumps(en, ensure_ascii=False)  # no sets, times or tuples left
