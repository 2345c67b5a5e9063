"""Reference answers remembered per reference-data version, for the applicant's pages.

Step 4's page shows the code lists, the school's province, city and county lists, every authority
and each authority's online window: six calls to the application service besides the draft, each
answered from data that changes only when reference data is imported or staff save a plan or a
point. The page is drawn again at each choice of province, city or county, so it cost several
times any other page of the wizard. The page of a submitted application, which people reload to
follow it, names its codes the same way.

The application service names the reference version each draft (``Draft.reference_version``, read
in the same statement as the draft) and each application view was read at. Every reference answer
asked for after that read is at that version or a later one, so an answer remembered under version
V is never older than what a page read at V (or at an earlier version) may show. A page read at a
newer version finds nothing remembered and asks again; the older answers are forgotten. Version 0
(not known) always asks. The current plans also depend on the clock (a plan whose last window
ended leaves the list), so they are asked for again after ``PLANS_SECONDS`` even at one version.

Answers are shared between requests: callers must not change them.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Hashable
from typing import TYPE_CHECKING, Any, TypeVar

from tqr.application.v1 import application_pb2 as pb
from tqr.application.v1 import views_pb2 as views

if TYPE_CHECKING:
    from tqr_gateway.clients.application import ApplicationClient, AuthorityView

T = TypeVar("T")

# How long the current plans are remembered at one version: a plan over since then still shows
# (as closed) for at most this long.
PLANS_SECONDS = 30.0


class ReferenceMemory:
    """One process's answers, all of one reference version."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.version = 0
        self._answers: dict[Hashable, tuple[float, Any]] = {}
        self._clock = clock

    async def answer(self, version: int, key: Hashable, ask: Callable[[], Awaitable[T]],
                     max_age: float | None = None) -> T:
        if version <= 0:
            return await ask()
        if version > self.version:
            self.version, self._answers = version, {}
        # (A draft read at an older version may be shown newer answers, never older ones.)
        found = self._answers.get(key)
        now, remembering = self._clock(), self.version
        if found is not None and (max_age is None or now - found[0] < max_age):
            return found[1]  # type: ignore[no-any-return]
        value = await ask()
        if self.version == remembering:  # else a newer version was seen while asking: maybe older
            self._answers[key] = (now, value)
        return value


class ReferenceAt:
    """The application service's reference answers as of a page's reference version."""

    def __init__(self, client: ApplicationClient, memory: ReferenceMemory, version: int) -> None:
        self._client, self._memory, self._version = client, memory, version

    async def code_lists(self) -> pb.ListCodeListsResponse:
        return await self._memory.answer(self._version, ("code_lists",), self._client.code_lists)

    async def list_regions(self, parent_code: str = "") -> list[pb.Region]:
        return await self._memory.answer(self._version, ("regions", parent_code),
                                         lambda: self._client.list_regions(parent_code))

    async def list_authorities(self, region_code: str = "") -> list[AuthorityView]:
        return await self._memory.answer(self._version, ("authorities", region_code),
                                         lambda: self._client.list_authorities(region_code))

    async def current_plans(self) -> list[views.Plan]:
        return await self._memory.answer(self._version, ("current_plans",), self._client.current_plans,
                                         max_age=PLANS_SECONDS)

    async def search_regions(self, text: str, limit: int) -> list[pb.RegionMatch]:
        return await self._client.search_regions(text, limit)  # typed text: not worth remembering
