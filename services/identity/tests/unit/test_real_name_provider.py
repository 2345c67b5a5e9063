"""The simulated identity authority and the deadline around any provider (R-ID-9)."""

from __future__ import annotations

import asyncio

import pytest
from demodata import demo_people
from servicekit.errors import DependencyUnavailable
from tqr_identity.adapters.real_name import verify_with_deadline
from tqr_identity.adapters.real_name_dev import (
    NAME_CORRECTION,
    NO_RECORD,
    OUTAGE,
    DevRealNameProvider,
    demo_registry_holders,
)
from tqr_identity.domain.documents import DocumentType, validate_document_number


def test_r_id_9_the_dev_people_have_valid_numbers_and_registry_holders_are_known() -> None:
    for person in (NAME_CORRECTION, NO_RECORD, OUTAGE, *demo_registry_holders()[:20]):
        assert validate_document_number(person.document_type, person.document_number) == person.document_number
    assert len(demo_registry_holders()) > 100


async def test_r_id_9_the_dev_provider_verifies_every_person_of_the_shared_demo_world() -> None:
    # The application's demo registry gives these same people their certificates (its own test says
    # so), which is how a demo holder both verifies here and finds their certificate in the wizard.
    provider = DevRealNameProvider()
    people = demo_people()
    for person in people:
        answer = await provider.verify(DocumentType(person.document_type), person.document_number, person.name)
        assert answer.matched, person
    assert {h.document_number for h in demo_registry_holders()} == {p.document_number for p in people}
    assert {h.document_type for h in demo_registry_holders()} >= {DocumentType.ID_CARD, DocumentType.HKMO_RESIDENCE}


async def test_r_id_9_the_dev_provider_matches_names_exactly() -> None:
    provider = DevRealNameProvider()
    holder = demo_registry_holders()[0]
    assert (await provider.verify(holder.document_type, holder.document_number, holder.name)).matched
    assert not (await provider.verify(holder.document_type, holder.document_number, holder.name + "某")).matched
    assert not (await provider.verify(NO_RECORD.document_type, NO_RECORD.document_number, NO_RECORD.name)).matched
    assert not (await provider.verify(DocumentType.TW_PERMIT, holder.document_number, holder.name)).matched


async def test_r_id_9_a_provider_past_its_deadline_is_an_outage() -> None:
    started = asyncio.get_running_loop().time()
    with pytest.raises(DependencyUnavailable) as caught:
        await verify_with_deadline(DevRealNameProvider(), OUTAGE.document_type, OUTAGE.document_number,
                                   OUTAGE.name, 0.05)
    assert caught.value.code == "R-ID-9"
    assert asyncio.get_running_loop().time() - started < 1
