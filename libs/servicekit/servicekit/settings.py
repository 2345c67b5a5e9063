"""Settings every process shares (the gateway's too), read from the environment with the service's
own prefix; what the backends share besides is ``servicekit.service_settings.ServiceSettings``.

Values that every service reads the same way (the broker, Redis, the environment name) also fall
back to an unprefixed ``TQR_…`` variable, so ``make run`` can set them once.

Production (``TQR_ENVIRONMENT=production``) refuses a configuration that still carries a development
value: a secret whose text starts with ``dev-only-`` (or another known development value), or a
setting production must be given whose default only suits a developer's machine (listed in
``required_in_production``). ``load`` turns any refusal into one line naming the variables, which is
what ``python -m tqr_<service> check-config`` prints and what ``serve`` and ``migrate`` exit with.
"""

from __future__ import annotations

from typing import ClassVar, Literal, TypeVar

from pydantic import AliasChoices, Field, ValidationError, model_validator
from pydantic_settings import BaseSettings

from servicekit.rpc.tls import TlsFiles
from servicekit.sealing import DEV_KEYS

DEV_SECRET_PREFIX = "dev-only-"  # noqa: S105  (a marker, not a secret)
# Development values that cannot carry the marker (a keyring's base64 keys cannot start with it).
DEVELOPMENT_VALUES = frozenset({DEV_KEYS})

S = TypeVar("S", bound="CheckedSettings")


def shared(name: str, prefix: str) -> AliasChoices:
    """Accept ``<PREFIX>NAME`` first, then the system-wide ``TQR_NAME``."""
    return AliasChoices(f"{prefix}{name}", f"TQR_{name}")


def is_development_value(value: object) -> bool:
    return isinstance(value, str) and (value.startswith(DEV_SECRET_PREFIX) or value in DEVELOPMENT_VALUES)


class CheckedSettings(BaseSettings):
    """The environment name and the production check; every service's settings (gateway included)
    derive from it, so a refusal reads the same everywhere."""

    environment: Literal["development", "test", "production"] = Field(
        default="development", validation_alias=AliasChoices("TQR_ENVIRONMENT")
    )

    # Settings production must be given explicitly: their defaults point at a developer's machine.
    required_in_production: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def env_name(cls, field: str) -> str:
        """The environment variable(s) an operator sets for ``field`` ("A or B" when it reads two)."""
        info = cls.model_fields.get(field)
        if info is None:  # already a variable name (pydantic reports an alias it read)
            return field.upper()
        alias = info.validation_alias
        if isinstance(alias, AliasChoices):
            return " or ".join(str(choice).upper() for choice in alias.choices if isinstance(choice, str))
        if isinstance(alias, str):
            return alias.upper()
        return f"{cls.model_config.get('env_prefix', '')}{field}".upper()

    def production_problems(self) -> list[str]:
        """What keeps this configuration out of production, one phrase each. Subclasses add their own."""
        problems = [f"set {self.env_name(name)} (unset; the default is for development)"
                    for name in self.required_in_production if name not in self.model_fields_set]
        for name in type(self).model_fields:
            if is_development_value(getattr(self, name)):
                what = "key" if "key" in name else "secret"
                problems.append(f"set {self.env_name(name)} (still the development {what})")
        return problems

    @model_validator(mode="after")
    def _refuse_development_values_in_production(self) -> CheckedSettings:
        if self.environment == "production":
            problems = self.production_problems()
            if problems:
                raise ValueError("; ".join(problems))
        return self


def tls_problems(tls: TlsFiles, *names: str) -> list[str]:
    """Production serves and calls only over mutual TLS."""
    if tls.configured:
        return []
    return [f"set {', '.join(names)} (production calls between services only over mutual TLS)"]


class SettingsRefused(Exception):
    """The settings cannot run; ``str()`` is one line naming the variables to set."""


def describe(service: str, settings_class: type[CheckedSettings], error: ValidationError) -> str:
    """One line for an operator: the variables and what is wrong with each. Never the values
    (pydantic's own message shows the input, secrets included)."""
    phrases = []
    for problem in error.errors(include_url=False, include_input=False, include_context=False):
        message = problem["msg"].removeprefix("Value error, ")
        location = problem["loc"]
        phrases.append(f"{settings_class.env_name(str(location[0]))}: {message}" if location else message)
    return " ".join(f"{service}: {'; '.join(phrases)}".split())


def load(service: str, settings_class: type[S]) -> S:
    """The settings from the environment, or ``SettingsRefused`` with the one-line reason."""
    try:
        return settings_class()
    except ValidationError as error:
        raise SettingsRefused(describe(service, settings_class, error)) from None


def load_or_exit(service: str, settings_class: type[S]) -> S:
    """``load`` for a command line: a refusal ends the process with its line on stderr (status 1)."""
    try:
        return load(service, settings_class)
    except SettingsRefused as refused:
        raise SystemExit(str(refused)) from None
