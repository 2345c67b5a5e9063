"""Redis-backed security parts of the identity service.

- ``slider`` / ``slider_images`` / ``text_challenge`` / ``human_pass``: the human check (R-ID-5)
- ``verification_codes``: one-time codes, sent by SMS, email or the alternative channel through notification (R-ID-6)
- ``login_throttle``: failed sign-ins counted per account and per client (R-ID-8)
- ``sessions``: opaque server-side sessions (R-ID-12)
- ``totp``: the staff second factor

Every store takes a ``redis.asyncio.Redis`` client and a key prefix (deployments and tests stay
apart); those that compare times take a ``servicekit.clock.Clock``. Nothing here imports at module
level anything that does I/O.
"""
