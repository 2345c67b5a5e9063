"""The shared closed lists about people as the gateway uses them: the contracts' enums.

Roles, gender, document types (tqr.common.v1.vocabulary) and identity's review statuses travel as
enums; the gateway keeps them as enum values (session roles, the staff rules) and turns them into
text only at its edges, here. Its JSON and its forms keep the codes they always had: an enum
value's code is its name without the enum's prefix (``GENDER_MALE`` → ``MALE``, servicekit's
naming rule), and the application sections (certificate, wizard step 4) keep spelling gender
``M`` / ``F`` as the certificate registry does. Labels for people come from the i18n catalogue,
keyed by these codes.
"""

from __future__ import annotations

from typing import Final, TypeAlias

from servicekit import vocabulary
from tqr.common.v1 import vocabulary_pb2
from tqr.identity.v1 import identity_pb2

Role: TypeAlias = vocabulary_pb2.Role.ValueType
Gender: TypeAlias = vocabulary_pb2.Gender.ValueType
DocumentType: TypeAlias = vocabulary_pb2.DocumentType.ValueType
ReviewStatus: TypeAlias = identity_pb2.ReviewStatus.ValueType

NO_ROLE: Final = vocabulary_pb2.ROLE_UNSPECIFIED
APPLICANT: Final = vocabulary_pb2.ROLE_APPLICANT
AUTHORITY_ADMIN: Final = vocabulary_pb2.ROLE_AUTHORITY_ADMIN
POINT_STAFF: Final = vocabulary_pb2.ROLE_POINT_STAFF
IDENTITY_REVIEWER: Final = vocabulary_pb2.ROLE_IDENTITY_REVIEWER
SYSTEM_ADMIN: Final = vocabulary_pb2.ROLE_SYSTEM_ADMIN
GENDERS: Final = (vocabulary_pb2.GENDER_MALE, vocabulary_pb2.GENDER_FEMALE)
GENDER_NAMES: Final = frozenset(vocabulary_pb2.Gender.keys())  # GENDER_UNSPECIFIED, GENDER_MALE, ...

_LETTERS: Final = {vocabulary_pb2.GENDER_MALE: "M", vocabulary_pb2.GENDER_FEMALE: "F"}


def role_code(value: Role) -> str:
    return vocabulary.code(vocabulary_pb2.Role, value)


def role(code: str) -> Role:
    return vocabulary.value(vocabulary_pb2.Role, code)  # type: ignore[no-any-return]


def gender_code(value: Gender) -> str:
    return vocabulary.code(vocabulary_pb2.Gender, value)


def gender(code: str) -> Gender:
    """``MALE`` / ``FEMALE``; anything else is "not given", which identity refuses where needed."""
    return vocabulary.value(vocabulary_pb2.Gender, code)  # type: ignore[no-any-return]


def gender_letter(value: Gender) -> str:
    """The application sections' spelling: ``M`` / ``F`` / ``""``."""
    return _LETTERS.get(value, "")


def gender_letter_of_name(name: str) -> str:
    """``GENDER_MALE`` (the enum value's name, as a message read into a dict spells it) → ``M``."""
    return gender_letter(vocabulary_pb2.Gender.Value(name)) if name in GENDER_NAMES else ""


def gender_of_letter(letter: str) -> Gender:
    return next((value for value, known in _LETTERS.items() if known == letter), vocabulary_pb2.GENDER_UNSPECIFIED)


def document_type_code(value: DocumentType) -> str:
    return vocabulary.code(vocabulary_pb2.DocumentType, value)


def document_type(code: str) -> DocumentType:
    return vocabulary.value(vocabulary_pb2.DocumentType, code)  # type: ignore[no-any-return]


def review_status_code(value: ReviewStatus) -> str:
    return vocabulary.code(identity_pb2.ReviewStatus, value)


def review_status(code: str) -> ReviewStatus:
    return vocabulary.value(identity_pb2.ReviewStatus, code)  # type: ignore[no-any-return]
