"""servicekit.vocabulary: enum values ↔ codes, by the naming rule every shared enum follows."""

from __future__ import annotations

import pytest
from servicekit import vocabulary
from tqr.common.v1 import vocabulary_pb2
from tqr.identity.v1 import identity_pb2

ENUMS = [vocabulary_pb2.Role, vocabulary_pb2.Gender, vocabulary_pb2.DocumentType, identity_pb2.ReviewStatus]


@pytest.mark.parametrize("enum", ENUMS, ids=lambda e: e.DESCRIPTOR.name)
def test_every_value_is_named_after_its_code_and_round_trips(enum) -> None:
    assert enum.Name(0).endswith("_UNSPECIFIED")
    for number in enum.values():
        short = vocabulary.code(enum, number)
        assert vocabulary.value(enum, short) == number
        assert (short == "") == (number == 0)


def test_codes_are_todays_strings() -> None:
    assert vocabulary.code(vocabulary_pb2.DocumentType, vocabulary_pb2.DOCUMENT_TYPE_HKMO_PERMIT) == "HKMO_PERMIT"
    assert vocabulary.code(vocabulary_pb2.Role, vocabulary_pb2.ROLE_IDENTITY_REVIEWER) == "IDENTITY_REVIEWER"
    assert vocabulary.value(vocabulary_pb2.Gender, "FEMALE") == vocabulary_pb2.GENDER_FEMALE
    assert vocabulary.value(identity_pb2.ReviewStatus, "REJECTED") == identity_pb2.REVIEW_STATUS_REJECTED


def test_unknown_input_is_not_given() -> None:
    assert vocabulary.value(vocabulary_pb2.Gender, "M") == vocabulary_pb2.GENDER_UNSPECIFIED
    assert vocabulary.value(vocabulary_pb2.Role, "") == vocabulary_pb2.ROLE_UNSPECIFIED
    assert vocabulary.code(vocabulary_pb2.Role, 99) == ""  # a newer peer's value
