"""The accessible text question of the human check (R-ID-5): wording and answer parsing."""

from __future__ import annotations

import re
from random import Random

import pytest
from tqr_identity.security.text_challenge import make_question, parse_answer


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


def test_r_id_5_questions_are_plain_and_their_answers_are_right() -> None:
    rng = Random(3)
    seen_ops = set()
    for _ in range(300):
        zh, en, answer = make_question(rng)
        match = re.fullmatch(r"(\d+) (加|减) (\d+) 等于几？", zh)
        assert match, zh
        a, op, b = int(match[1]), match[2], int(match[3])
        seen_ops.add(op)
        assert answer == (a + b if op == "加" else a - b)
        assert answer >= 0
        assert en == f"What is {a} {'plus' if op == '加' else 'minus'} {b}?"
    assert seen_ops == {"加", "减"}
