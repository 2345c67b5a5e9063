"""The accessible text question of the human check (R-ID-5): wording and answer parsing."""

from __future__ import annotations

import re
from random import Random

import pytest
from tqr_identity.security.text_challenge import make_question, parse_answer, zh_number


@pytest.mark.parametrize(
    ("typed", "value"),
    [("12", 12), (" 7 ", 7), ("１２", 12), ("七", 7), ("十", 10), ("十二", 12), ("二十", 20),
     ("两", 2), ("十七", 17)],
)
def test_r_id_5_answers_typed_in_digits_or_chinese_numerals(typed: str, value: int) -> None:
    assert parse_answer(typed) == value


@pytest.mark.parametrize("typed", ["", "abc", "七七", "十x", "1.5", "-3"])
def test_r_id_5_unreadable_answers_are_none(typed: str) -> None:
    assert parse_answer(typed) is None


ZH_NUMBER = re.compile(r"[零一二三四五六七八九十]+")
EN_NUMBER = re.compile(r"\b(?:zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|"
                       r"fifteen|sixteen|seventeen|eighteen|nineteen|twenty)\b")


def _numbers(text: str, pattern: re.Pattern[str]) -> list[int]:
    return [value for value in (parse_answer(token) for token in pattern.findall(text)) if value is not None]


def test_r_id_5_the_question_holds_no_sum_a_parser_could_read_and_its_answer_is_right() -> None:
    rng = Random(3)
    stories = set()
    for _ in range(300):
        question = make_question(rng)
        for text in (question.zh, question.en):
            # No digits and no arithmetic: the JSON carries a sentence, not "7 + 5".
            assert not re.search(r"[0-9０-９+\-×÷=]|加|减|等于|plus|minus", text), text
        zh, en = _numbers(question.zh, ZH_NUMBER), _numbers(question.en, EN_NUMBER)
        assert len(zh) == 2 and zh == en, question
        assert question.answer in (zh[0] + zh[1], zh[0] - zh[1]) and question.answer >= 0
        # A sentence a screen reader reads as it is: it ends with a question mark.
        assert question.zh.endswith("？") and question.en.endswith("?")
        stories.add(ZH_NUMBER.sub("#", question.zh.split("。")[-1]))
    assert len(stories) >= 6, "the phrasing does not vary"


def test_r_id_5_numbers_are_written_as_words_both_ways() -> None:
    assert [zh_number(n) for n in (0, 7, 10, 12, 20, 18)] == ["零", "七", "十", "十二", "二十", "十八"]
    assert all(parse_answer(zh_number(n)) == n for n in range(0, 100))
    assert parse_answer("Seven") == 7 and parse_answer("twenty") == 20
