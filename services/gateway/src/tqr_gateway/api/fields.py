"""Field types the API's models share.

A number the gateway passes on to a service must fit the protobuf field it goes into; one that does
not is input to correct (422), not a fault in the gateway. A number a person types (certificate,
identity document, application number, mobile) is a ``TypedNumber``: put in its one canonical form
(R-WIZ-11, ``servicekit.text.normalise_number``) before anything else sees it.
"""

from __future__ import annotations

from typing import Annotated, Final

from pydantic import AfterValidator, Field
from servicekit import text

INT32_MAX: Final = 2**31 - 1

Int32 = Annotated[int, Field(ge=-(2**31), le=INT32_MAX)]
TypedNumber = Annotated[str, AfterValidator(text.normalise_number)]
ExpectedVersion = Annotated[int, Field(ge=0, le=INT32_MAX, description="The version you saw; 0 skips the check")]
