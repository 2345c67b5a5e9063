"""Infrastructure shared by every service: settings, logging, database, bus, outbox, gRPC, metrics.

Nothing in this package knows about the business domain; services compose its parts in their
own ``bootstrap``.
"""
