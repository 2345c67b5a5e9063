"""The three sealers of this service.

- ``contacts`` opens the email and mobile identity sealed for us in its events ("recipient-contact");
- ``code_destinations`` opens where a verification code must go ("code-destination");
- ``at_rest`` seals what we keep: contacts, code destinations and rendered texts (a code included).
"""

from __future__ import annotations

from dataclasses import dataclass

from servicekit.sealing import Sealer

CONTACT_PURPOSE = "recipient-contact"
CODE_DESTINATION_PURPOSE = "code-destination"
AT_REST_PURPOSE = "notification-at-rest"


@dataclass(frozen=True)
class Sealers:
    contacts: Sealer
    code_destinations: Sealer
    at_rest: Sealer

    @classmethod
    def from_keys(cls, incoming_keys: str, at_rest_keys: str) -> Sealers:
        return cls(
            contacts=Sealer(incoming_keys, CONTACT_PURPOSE),
            code_destinations=Sealer(incoming_keys, CODE_DESTINATION_PURPOSE),
            at_rest=Sealer(at_rest_keys, AT_REST_PURPOSE),
        )
