"""The gateway's probe endpoints: liveness asks nothing of any dependency, readiness of the services does."""

from fastapi.testclient import TestClient
from testkit import free_port
from tqr_gateway.app import create_app
from tqr_gateway.config import GatewaySettings
from tqr_gateway.shutdown import Drain


def test_liveness_answers_while_every_service_and_redis_are_away() -> None:
    nowhere = {f"{service}_addresses": f"127.0.0.1:{free_port()}"
               for service in ("identity", "application", "notification", "documents")}
    settings = GatewaySettings(environment="test", redis_url=f"redis://127.0.0.1:{free_port()}/0", **nowhere)
    with TestClient(create_app(settings)) as client:
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["services"] == dict.fromkeys(("identity", "application", "notification", "documents"),
                                                          False)
        assert client.get("/livez").status_code == 200
        assert client.get("/healthz").status_code == 200


def test_while_draining_readiness_says_no_liveness_yes_and_every_answer_closes_its_connection() -> None:
    nowhere = {f"{service}_addresses": f"127.0.0.1:{free_port()}"
               for service in ("identity", "application", "notification", "documents")}
    settings = GatewaySettings(environment="test", redis_url=f"redis://127.0.0.1:{free_port()}/0", **nowhere)
    drain = Drain()
    with TestClient(create_app(settings, drain=drain)) as client:
        assert client.get("/healthz").status_code == 200
        assert "connection" not in client.get("/livez").headers
        drain.begin()
        for path in ("/healthz", "/readyz"):
            answer = client.get(path)
            assert answer.status_code == 503 and answer.json() == {"ready": False, "draining": True}, path
        alive = client.get("/livez")
        assert alive.status_code == 200 and alive.headers["connection"] == "close"
