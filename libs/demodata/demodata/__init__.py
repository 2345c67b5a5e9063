"""The demo world of development and tests: real places, invented people.

Not a service, and it imports none (``make lint`` holds that). The services' demo seeds and their
simulations of outside systems import it, so that they agree on the same people without importing
each other: the application service's demo certificate registry and the identity service's
simulated identity authority both know ``demo_people()``.
"""

from demodata.people import DEFAULT_COUNT, DEFAULT_SEED, DemoPerson, demo_people

__all__ = ["DEFAULT_COUNT", "DEFAULT_SEED", "DemoPerson", "demo_people"]
