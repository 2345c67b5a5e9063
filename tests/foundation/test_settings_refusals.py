"""Settings that cannot run in production are refused with one line naming the variables (never
their values), and ``check-config`` reports it through the command line every service shares."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import pytest
from pydantic import Field
from pydantic_settings import SettingsConfigDict
from servicekit import cli
from servicekit.rpc.actor import new_key_pair
from servicekit.sealing import DEV_KEYS
from servicekit.service_settings import ServiceSettings
from servicekit.settings import DEV_SECRET_PREFIX, SettingsRefused, load, shared


class ShopSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SHOP_", extra="ignore", populate_by_name=True)
    required_in_production: ClassVar[tuple[str, ...]] = (*ServiceSettings.required_in_production, "till_address")

    till_address: str = "127.0.0.1:1"
    signing_key: str = f"{DEV_SECRET_PREFIX}signing-key"
    sealing_keys: str = Field(default=DEV_KEYS, validation_alias=shared("SEALING_KEYS", "SHOP_"))
    pages: int = 1


PRODUCTION = {"TQR_ENVIRONMENT": "production", "SHOP_DATABASE_URL": "postgresql://db/shop",
              "TQR_AMQP_URL": "amqp://mq/", "TQR_REDIS_URL": "redis://cache/0", "SHOP_TILL_ADDRESS": "till:1",
              "SHOP_SIGNING_KEY": "a-real-key-0123456789", "TQR_SEALING_KEYS": "k1:" + "A" * 43 + "=",
              "TQR_ACTOR_VERIFY_KEYS": new_key_pair("gateway.k1")[1],
              "SHOP_TLS_CERT": "/etc/tqr/tls/tls.crt", "SHOP_TLS_KEY": "/etc/tqr/tls/tls.key",
              "SHOP_TLS_CA": "/etc/tqr/tls/ca.crt"}


@pytest.fixture
def env(monkeypatch):
    def set_only(values: dict[str, str]) -> None:
        for name in [*PRODUCTION, "SHOP_PAGES"]:
            monkeypatch.delenv(name, raising=False)
        for name, value in values.items():
            monkeypatch.setenv(name, value)
    return set_only


def refusal(settings_class: type[ServiceSettings] = ShopSettings) -> str:
    with pytest.raises(SettingsRefused) as refused:
        load("shop", settings_class)
    return str(refused.value)


def test_complete_production_settings_load(env):
    env(PRODUCTION)
    assert load("shop", ShopSettings).till_address == "till:1"


@pytest.mark.parametrize(("missing", "named"), [
    ("SHOP_TILL_ADDRESS", "set SHOP_TILL_ADDRESS (unset; the default is for development)"),
    ("SHOP_DATABASE_URL", "set SHOP_DATABASE_URL (unset; the default is for development)"),
    ("TQR_AMQP_URL", "set TQR_AMQP_URL (unset; the default is for development)"),
    ("SHOP_SIGNING_KEY", "set SHOP_SIGNING_KEY (still the development key)"),
    ("TQR_SEALING_KEYS", "set SHOP_SEALING_KEYS or TQR_SEALING_KEYS (still the development key)"),
    ("TQR_ACTOR_VERIFY_KEYS", "set TQR_ACTOR_VERIFY_KEYS (it still trusts the development keys)"),
])
def test_a_missing_key_gives_one_line_naming_it(env, missing, named):
    env({k: v for k, v in PRODUCTION.items() if k != missing})
    assert refusal() == f"shop: {named}"


def test_every_problem_is_named_on_the_same_line(env):
    env({"TQR_ENVIRONMENT": "production"})
    line = refusal()
    assert "\n" not in line and line.startswith("shop: ")
    for name in ("SHOP_DATABASE_URL", "TQR_AMQP_URL", "TQR_REDIS_URL", "SHOP_TILL_ADDRESS", "SHOP_SIGNING_KEY",
                 "TQR_SEALING_KEYS"):
        assert name in line


def test_development_values_are_fine_outside_production(env):
    env({})
    assert load("shop", ShopSettings).signing_key.startswith(DEV_SECRET_PREFIX)


def test_a_malformed_value_names_its_variable_and_never_shows_the_value(env):
    env({**PRODUCTION, "SHOP_PAGES": "secret-looking-value"})
    line = refusal()
    assert line.startswith("shop: SHOP_PAGES: ") and "secret-looking-value" not in line


def test_check_config_prints_ok_or_exits_with_the_line(env, capsys):
    def run() -> int:
        return cli.main(service="shop", load_settings=ShopSettings, build_host=lambda s: None,  # type: ignore[arg-type,return-value]
                        migrations_dir=Path("."), argv=["check-config"])

    env(PRODUCTION)
    assert run() == 0 and capsys.readouterr().out == "ok\n"
    env({k: v for k, v in PRODUCTION.items() if k != "SHOP_SIGNING_KEY"})
    with pytest.raises(SystemExit) as stopped:
        run()
    assert stopped.value.code == "shop: set SHOP_SIGNING_KEY (still the development key)"
