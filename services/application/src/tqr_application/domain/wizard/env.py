"""What the wizard needs from outside the draft: the clock, the account, look-ups, code lists.

Look-ups are plain synchronous callables so the domain stays free of I/O: the service layer loads
what a step needs (the registry record for the number typed, the authority and its plans) before
calling the step, and passes closures over the loaded values.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from servicekit import text
from servicekit.clock import Clock
from servicekit.masking import mask_document_number

from tqr_application.domain.plans import RegistrationPlan
from tqr_application.domain.reference import Authority, RegistryCertificate

# (certificate number, document number) -> the registry record, or None when not on record.
RegistryLookup = Callable[[str, str], RegistryCertificate | None]
# certificate number -> whether the registry holds it at all, for whichever holder (R-WIZ-10).
RegistryKnows = Callable[[str], bool]
AuthorityLookup = Callable[[str], Authority | None]
# authority code -> every plan of that authority (the wizard picks the one in force).
PlansLookup = Callable[[str], Sequence[RegistrationPlan]]
Masker = Callable[[str], str]

MUST_READ_SECONDS = 3.0


def normalise_document_number(number: str) -> str:
    """R-WIZ-11 (``servicekit.text.normalise_number``): full width folded, spaces and dashes
    dropped, upper case — an ID card's final ``x`` and ``X`` are the same number."""
    return text.normalise_number(number)


@dataclass(frozen=True)
class Account:
    """The signed-in applicant as the identity service knows them (real-name verified)."""

    subject_id: str
    name: str
    document_type: str  # a DocumentType code of the identity service, e.g. "ID_CARD"
    document_number: str = field(repr=False)  # personal data: kept out of repr, logs and messages


@dataclass(frozen=True)
class ReferenceCodes:
    """The code lists the applicant chooses from; an empty set means "do not check"."""

    certificate_types: frozenset[str] = frozenset()
    subjects: frozenset[str] = frozenset()
    teaching_stages: frozenset[str] = frozenset()


def _no_registry(_certificate_number: str, _document_number: str) -> RegistryCertificate | None:
    return None


def _knows_none(_certificate_number: str) -> bool:
    return False


def _no_authority(_code: str) -> Authority | None:
    return None


def _no_plans(_authority_code: str) -> Sequence[RegistrationPlan]:
    return ()


@dataclass(frozen=True)
class WizardEnv:
    clock: Clock
    account: Account
    codes: ReferenceCodes = ReferenceCodes()
    registry_lookup: RegistryLookup = _no_registry
    registry_knows: RegistryKnows = _knows_none
    authority_lookup: AuthorityLookup = _no_authority
    plans_lookup: PlansLookup = _no_plans
    mask: Masker = mask_document_number  # the one rule of every service (servicekit.masking)
    must_read_seconds: float = MUST_READ_SECONDS
