"""docs/rules.md is generated from the shipped rule sets and must stay equal to them."""

from __future__ import annotations

import json
from pathlib import Path

from evidence_locker.rules import describe_rule_sets, render_rules_markdown, shipped_rule_sets

DOC = Path(__file__).resolve().parent.parent / "docs" / "rules.md"


def test_docs_rules_md_is_the_generated_text():
    assert DOC.read_text(encoding="utf-8") == render_rules_markdown(), (
        "docs/rules.md is stale: regenerate it with render_rules_markdown()"
    )


def test_docs_list_every_rule_and_reference_with_its_source_in_both_languages():
    text = render_rules_markdown()
    for rs in shipped_rule_sets():
        for rule in rs.rules:
            section = text.split(f"### {rule.id}\n", 1)[1].split("\n### ", 1)[0]
            assert rule.source_url in section and rule.description_en in section
            assert rule.description_zh in section and f"**{rule.confidence}**" in section
        for ref in rs.references:
            assert f"| {ref.id} |" in text and ref.source_url in text


def test_describe_rule_sets_in_both_languages_is_json_ready():
    en, zh = describe_rule_sets("en"), describe_rule_sets("zh")
    assert [s["name"] for s in en] == ["cn", "uk", "us"]
    cn_en, cn_zh = en[0]["rules"][0], zh[0]["rules"][0]
    assert cn_en["id"] == cn_zh["id"] == "CN-CBA-TIME"
    assert cn_en["params"]["start"] == "22:00"
    assert cn_en["description"] != cn_zh["description"] and "22:00" in cn_zh["description"]
    assert cn_zh["confidence_text"] == "来自二手资料"
    json.dumps(en, ensure_ascii=False)  # no sets, times or tuples left
