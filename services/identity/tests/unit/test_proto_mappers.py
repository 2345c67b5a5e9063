"""The one protobuf ↔ domain mapper: every code of the service's closed lists has its enum value in
the contracts and comes back unchanged, and an unset enum reaches the service layer as "" (which it
refuses where a value is required, as it refused the empty string)."""

from __future__ import annotations

import pytest
from tqr.common.v1 import vocabulary_pb2 as vocab
from tqr.identity.v1 import identity_pb2
from tqr_identity.domain.documents import DocumentType, Gender
from tqr_identity.entrypoints import mappers
from tqr_identity.service_layer.model import CaseStatus, Role


@pytest.mark.parametrize("document_type", list(DocumentType))
def test_every_document_type_has_an_enum_value_and_maps_back(document_type: DocumentType) -> None:
    value = mappers.document_type(document_type)
    assert value != vocab.DOCUMENT_TYPE_UNSPECIFIED
    assert mappers.document_type_code(value) == document_type.value


@pytest.mark.parametrize("gender", list(Gender))
def test_every_gender_has_an_enum_value_and_maps_back(gender: Gender) -> None:
    value = mappers.gender(gender)
    assert value != vocab.GENDER_UNSPECIFIED
    assert Gender(mappers.gender_code(value)) is gender


@pytest.mark.parametrize("role", list(Role))
def test_every_role_has_an_enum_value_and_maps_back(role: Role) -> None:
    [value] = mappers.roles([role.value])
    assert value != vocab.ROLE_UNSPECIFIED
    assert mappers.role_code(value) == role.value


@pytest.mark.parametrize("status", list(CaseStatus))
def test_every_case_status_has_an_enum_value_and_maps_back(status: CaseStatus) -> None:
    value = mappers.review_status(status)
    assert value != identity_pb2.REVIEW_STATUS_UNSPECIFIED
    assert mappers.review_status_code(value) == status.value


def test_unset_values_reach_the_service_layer_as_empty_codes() -> None:
    assert mappers.document_type_code(vocab.DOCUMENT_TYPE_UNSPECIFIED) == ""
    assert mappers.gender_code(vocab.GENDER_UNSPECIFIED) == ""
    assert mappers.role_code(vocab.ROLE_UNSPECIFIED) == ""
    assert mappers.review_status_code(identity_pb2.REVIEW_STATUS_UNSPECIFIED) == ""
    assert mappers.gender(None) == vocab.GENDER_UNSPECIFIED


def test_an_account_view_carries_the_enums() -> None:
    view = identity_pb2.AccountView(document_type=mappers.document_type(DocumentType.HKMO_PERMIT),
                                    gender=mappers.gender(Gender.FEMALE))
    parsed = identity_pb2.AccountView.FromString(view.SerializeToString())
    assert (parsed.document_type, parsed.gender) == (vocab.DOCUMENT_TYPE_HKMO_PERMIT, vocab.GENDER_FEMALE)
