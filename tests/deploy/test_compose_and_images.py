"""The Compose stack, the Dockerfile and the image build script, checked without a Docker engine."""

from __future__ import annotations

import configparser
import re
import subprocess
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.engine import make_url

from tests.deploy.settings_catalogue import COMPOSE_ONLY_SETTINGS, IMAGE_SETTINGS, documented_settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
SERVICES = {"identity": (50051, 9101), "application": (50052, 9102), "notification": (50053, 9103),
            "documents": (50054, 9104)}
GATEWAY_METRICS_PORT = 9100


def env(service: dict[str, Any]) -> dict[str, str]:
    return {k: str(v) for k, v in service["environment"].items()}


def test_compose_names_the_whole_stack(compose):
    expected = {*SERVICES, "gateway", *(f"{s}-migrate" for s in SERVICES), "postgres", "pgbouncer", "rabbitmq",
                "redis", "redis-exporter", "mailpit", "prometheus", "grafana"}
    assert set(compose["services"]) == expected


def test_each_service_waits_for_its_migration_and_its_dependencies(compose):
    services = compose["services"]
    for name in SERVICES:
        depends = services[name]["depends_on"]
        assert depends[f"{name}-migrate"] == {"condition": "service_completed_successfully"}
        needed = ("postgres", "pgbouncer", "rabbitmq", "redis")
        assert {d: depends[d]["condition"] for d in needed} == dict.fromkeys(needed, "service_healthy")
        migrate = services[f"{name}-migrate"]
        assert migrate["command"] == ["migrate"] and migrate["restart"] == "no"
        assert migrate["image"] == services[name]["image"]
    assert {s for s, d in services["gateway"]["depends_on"].items() if d["condition"] == "service_healthy"} >= set(
        SERVICES)


def test_services_go_through_pgbouncer_in_transaction_mode_and_migrations_straight_to_postgres(compose):
    ini = configparser.ConfigParser(inline_comment_prefixes=(";",))
    ini.read_string((DEPLOY / "compose" / "pgbouncer" / "pgbouncer.ini").read_text())
    assert ini["pgbouncer"]["pool_mode"] == "transaction"
    assert ini["databases"]["*"] == "host=postgres port=5432"
    mounted = compose["services"]["pgbouncer"]["volumes"]
    assert "./compose/pgbouncer/pgbouncer.ini:/etc/pgbouncer/pgbouncer.ini:ro" in mounted
    for name in SERVICES:
        key = f"{name.upper()}_DATABASE_URL"
        served = make_url(env(compose["services"][name])[key])
        migrated = make_url(env(compose["services"][f"{name}-migrate"])[key])
        assert (served.host, served.port) == ("pgbouncer", int(ini["pgbouncer"]["listen_port"]))
        assert env(compose["services"][name])[f"{name.upper()}_DB_POOLER"] == "transaction"
        assert (migrated.host, migrated.port) == ("postgres", 5432)
        assert (served.username, served.password, served.database) == (
            migrated.username, migrated.password, migrated.database)


def test_postgres_init_creates_the_database_every_service_uses(compose):
    init = (DEPLOY / "compose" / "postgres-init.sql").read_text()
    created = set(re.findall(r"CREATE DATABASE (\w+)", init))
    used = {env(compose["services"][s])[f"{s.upper()}_DATABASE_URL"].rsplit("/", 1)[1] for s in SERVICES}
    assert created == used == set(SERVICES)
    mounted = compose["services"]["postgres"]["volumes"]
    assert any(v.startswith("./compose/postgres-init.sql:/docker-entrypoint-initdb.d/") for v in mounted)


def test_gateway_finds_every_service_by_its_compose_name_and_port(compose):
    gateway = env(compose["services"]["gateway"])
    for name, (grpc_port, _) in SERVICES.items():
        assert gateway[f"GATEWAY_{name.upper()}_ADDRESSES"] == f"dns:///{name}:{grpc_port}"
        assert env(compose["services"][name])[f"{name.upper()}_GRPC_PORT"] == str(grpc_port)


def test_documents_finds_the_application_service_by_its_compose_name_and_port(compose):
    documents = env(compose["services"]["documents"])
    grpc_port = env(compose["services"]["application"])["APPLICATION_GRPC_PORT"]
    assert documents["DOCUMENTS_APPLICATION_ADDRESSES"] == f"dns:///application:{grpc_port}"


def test_the_links_in_messages_point_at_the_gateway_people_reach(compose):
    services = compose["services"]
    public_url = env(services["gateway"])["TQR_PUBLIC_URL"]
    assert env(services["notification"])["TQR_PUBLIC_URL"] == public_url
    assert not {"GATEWAY_PUBLIC_URL", "NOTIFICATION_SITE_URL"} & {*env(services["gateway"]), *env(services["notification"])}
    published = [p for p in services["gateway"]["ports"] if p.endswith(":" + env(services["gateway"])["GATEWAY_PORT"])]
    assert published and public_url == f"http://localhost:{published[0].rsplit(':', 1)[0]}"


def test_prometheus_scrapes_every_process_and_loads_the_rules(compose):
    config = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    targets = {}
    for job in config["scrape_configs"]:
        for sd in job.get("dns_sd_configs", []):
            targets[sd["names"][0]] = sd["port"]
    assert targets == {**{n: m for n, (_, m) in SERVICES.items()}, "gateway": GATEWAY_METRICS_PORT}
    for name, (_, metrics_port) in SERVICES.items():
        assert env(compose["services"][name])[f"{name.upper()}_METRICS_PORT"] == str(metrics_port)
    assert config["rule_files"] == ["/etc/prometheus/rules/*.yml"]
    assert "./prometheus/rules:/etc/prometheus/rules:ro" in compose["services"]["prometheus"]["volumes"]


def test_grafana_provisions_the_datasource_and_the_dashboards_folder(compose):
    volumes = compose["services"]["grafana"]["volumes"]
    provider = yaml.safe_load((DEPLOY / "grafana" / "provisioning" / "dashboards" / "tqr.yml").read_text())
    path = provider["providers"][0]["options"]["path"]
    assert f"./grafana/dashboards:{path}:ro" in volumes
    assert "./grafana/provisioning:/etc/grafana/provisioning:ro" in volumes
    datasource = yaml.safe_load((DEPLOY / "grafana" / "provisioning" / "datasources" / "prometheus.yml").read_text())
    assert datasource["datasources"][0]["uid"] == "prometheus"
    assert datasource["datasources"][0]["url"] == "http://prometheus:9090"


def test_every_relative_path_compose_mounts_exists(compose):
    for name, service in compose["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith("."):
                assert (DEPLOY / source).exists(), f"{name}: {source}"


# --- Dockerfile and build script -----------------------------------------------------------------

def _dockerfile() -> str:
    return (DEPLOY / "docker" / "Dockerfile").read_text()


def test_dockerfile_builds_in_two_stages_and_runs_as_a_non_root_user():
    text = _dockerfile()
    stages = re.findall(r"^FROM\s+(\S+)\s+AS\s+(\w+)", text, re.MULTILINE)
    assert [alias for _, alias in stages] == ["builder", "runtime"]
    assert re.search(r"^ARG PYTHON_IMAGE=python:3\.11-slim", text, re.MULTILINE)
    # The service's own runtime lock, nothing outside it (--no-deps), then its wheels from the local
    # wheel directory only (--no-index): the image holds one service and none of the test tools.
    assert "COPY services/${SERVICE}/requirements.lock ./requirements.lock" in text
    assert re.search(r"pip --python /opt/venv/bin/python install --no-deps -r requirements\.lock", text)
    assert re.search(r'install --no-index --find-links /wheels "tqr-\$\{SERVICE\}"', text)
    assert 'import_all.py "tqr_${SERVICE}"' in text
    assert "requirements.lock ./" not in text.replace("services/${SERVICE}/requirements.lock ./", "")
    assert "libs/testkit" not in text
    assert "COPY --from=builder /opt/venv /opt/venv" in text
    assert "fonts-wqy-microhei" in text.split("AS runtime", 1)[1]
    users = re.findall(r"^USER\s+(\S+)", text, re.MULTILINE)
    assert users and users[-1].split(":")[0].isdigit() and users[-1].split(":")[0] != "0"


def test_dockerignore_keeps_everything_the_dockerfile_copies():
    patterns = [line for line in (ROOT / ".dockerignore").read_text().splitlines() if line and not line.startswith("#")]
    assert patterns[0] == "**"
    included = [p[1:].rstrip("/") for p in patterns if p.startswith("!")]
    for source in re.findall(r"^COPY\s+(?!--from)(.+)\s+\S+$", _dockerfile(), re.MULTILINE):
        for path in (p.replace("${SERVICE}", s) for p in source.split() for s in [*SERVICES, "gateway"]):
            assert any(path.rstrip("/") == inc or path.startswith(inc + "/") for inc in included), path
            assert (ROOT / path).exists(), path


def test_entrypoint_starts_the_chosen_service_as_pid_one():
    text = (DEPLOY / "docker" / "entrypoint.sh").read_text()
    assert 'exec python -m "tqr_${TQR_SERVICE}" "$@"' in text
    for service in [*SERVICES, "gateway"]:
        assert service in text


def test_build_script_builds_one_image_per_service():
    result = subprocess.run([str(DEPLOY / "build-images.sh"), "--dry-run"], capture_output=True, text=True,
                            check=True, env={"PATH": "/usr/bin:/bin", "TAG": "t1"}, timeout=30)
    builds = [line for line in result.stdout.splitlines() if line.startswith("+ docker build")]
    assert len(builds) == 5
    for service in [*SERVICES, "gateway"]:
        assert any(f"--build-arg SERVICE={service} " in b and f"--tag tqr-{service}:t1 " in b for b in builds), service


def test_compose_sets_only_documented_settings(compose):
    allowed = documented_settings() | IMAGE_SETTINGS | set(COMPOSE_ONLY_SETTINGS)
    for name in [*SERVICES, "gateway", *(f"{s}-migrate" for s in SERVICES)]:
        unknown = set(env(compose["services"][name])) - allowed
        assert not unknown, f"{name}: {sorted(unknown)}"
