"""The two message catalogues hold the same keys, and every key a template uses exists."""

import re
import string
from pathlib import Path

import pytest
from tqr.common.v1 import vocabulary_pb2
from tqr_gateway import vocabulary
from tqr_gateway.web.catalogue import load_catalogue, translate

TEMPLATES = Path(__file__).parents[2] / "src/tqr_gateway/web/templates"
KEY_IN_TEMPLATE = re.compile(r"""\bt\(\s*["']([A-Za-z0-9_.\-]+)["']\s*[,)]""")
DYNAMIC_PREFIX_IN_TEMPLATE = re.compile(r"""\bt\(\s*["']([A-Za-z0-9_.\-]+)["']\s*~""")
# Keys built from a variable in templates ("nav." ~ key): listed here so the test covers them too.
DYNAMIC_KEYS = (
    [f"nav.{k}" for k in ("home", "guide", "process", "usage", "faq")]
    + [f"help.{k}.title" for k in ("guide", "process", "usage", "faq")]
    + [f"date.{k}" for k in ("year", "month", "day")]
    + [f"banner.{k}" for k in ("info", "success")]
    + [f"status.{code}{suffix}" for code in (
        "SUBMITTED", "MATERIALS_INCOMPLETE", "CONFIRMED", "WRONG_AUTHORITY", "NOT_ELIGIBLE",
        "REGISTERED", "DEFERRED", "REJECTED", "PENDING", "APPROVED", "DECLINED") for suffix in ("", ".meaning")]
    # The one label table of gender, keyed by the contracts' enum: every value but UNSPECIFIED.
    + [f"gender.{vocabulary.gender_code(g)}" for g in vocabulary_pb2.Gender.values() if g]
    # Staff administration (R-STAFF-5): what was done, and why a setup code was given.
    + [f"staff.people.done.{k}" for k in ("changed", "disable", "enable")]
    + [f"staff.setup.title.{k}" for k in ("created", "reset-password", "reset-totp")]
    # Reference data in the console (R-REF-2): the code lists and what was saved.
    + [f"staff.reference.list.{k}" for k in ("teaching_stages", "subjects", "certificate_types")]
    + [f"staff.reference.saved.{k}" for k in ("authority", "code")]
    # Step 7's pages (R-WIZ-7): one title per part.
    + [f"wizard.materials.part.{k}" for k in ("contact", "history", "assessments", "ethics")]
)


def keys_used_in(text: str) -> set[str]:
    return set(KEY_IN_TEMPLATE.findall(text))


def template_keys() -> dict[str, set[str]]:
    return {str(path.relative_to(TEMPLATES)): keys_used_in(path.read_text(encoding="utf-8"))
            for path in TEMPLATES.rglob("*.html")}


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_both_catalogues_hold_the_same_keys() -> None:
    zh, en = set(load_catalogue("zh")), set(load_catalogue("en"))
    assert not zh - en, f"missing in en.json: {sorted(zh - en)}"
    assert not en - zh, f"missing in zh.json: {sorted(en - zh)}"


def test_every_key_a_template_uses_exists() -> None:
    known = set(load_catalogue("zh")) | set(load_catalogue("en"))
    used = template_keys()
    assert sum(len(keys) for keys in used.values()) > 40, "the scan found too few keys: is the pattern broken?"
    missing = {name: sorted(keys - known) for name, keys in used.items() if keys - known}
    assert not missing, f"templates use unknown keys: {missing}"


def test_every_dynamically_built_key_exists_in_both_languages() -> None:
    for lang in ("zh", "en"):
        catalogue = load_catalogue(lang)
        assert not [k for k in DYNAMIC_KEYS if k not in catalogue], lang


def test_every_dynamic_key_prefix_in_templates_is_listed_here() -> None:
    prefixes = {p for path in TEMPLATES.rglob("*.html")
                for p in DYNAMIC_PREFIX_IN_TEMPLATE.findall(path.read_text(encoding="utf-8"))}
    assert prefixes, "the scan found no dynamic keys: is the pattern broken?"
    for prefix in prefixes:
        assert any(key.startswith(prefix) for key in DYNAMIC_KEYS), f"t({prefix!r} ~ …) is not covered by DYNAMIC_KEYS"


def test_the_scan_finds_keys_in_every_call_form() -> None:
    text = """{{ t("a.b") }} {{ t('c.d', n=1) }} {% if x %}{{ t( "e.f" ) }}{% endif %} {{ at("no") }} {{ t("dyn." ~ x) }}"""
    assert keys_used_in(text) == {"a.b", "c.d", "e.f"}


def test_placeholders_match_between_languages() -> None:
    zh, en = load_catalogue("zh"), load_catalogue("en")
    for key in zh:
        assert placeholders(zh[key]) == placeholders(en[key]), key


def test_no_text_is_empty() -> None:
    for lang in ("zh", "en"):
        assert not [k for k, v in load_catalogue(lang).items() if not v.strip()], lang


def test_translate_fills_placeholders_and_falls_back_to_the_key() -> None:
    assert translate("zh", "steps.position", current=3, total=8) == "第 3 步，共 8 步"
    assert translate("en", "steps.position", current=3, total=8) == "Step 3 of 8"
    assert translate("en", "no.such.key") == "no.such.key"
    with pytest.raises(ValueError):
        load_catalogue("fr")
