"""R-ID-13 as deployed: the prod overlay's identity service verifies real names with the HTTP
identity authority over HTTPS, and the same environment with the simulated authority stops the
process before it serves (``python -m tqr_identity check-config``, the image's own entrypoint
module), with one line naming the setting."""

from __future__ import annotations

from urllib.parse import urlsplit

from tests.deploy.test_production_environment import check_config, loaded, prod  # noqa: F401 (a fixture)


def test_r_id_13_production_runs_the_http_authority_and_refuses_the_simulated_one(prod, tmp_path):  # noqa: F811
    _, _, workloads = prod
    (container,) = workloads["identity"]
    settings = loaded(container)
    assert settings.real_name_provider == "http" and urlsplit(settings.real_name_http_url).scheme == "https"
    accepted = check_config("identity", container.env, tmp_path)
    out, err = accepted.communicate(timeout=300)
    assert (accepted.returncode, out.strip()) == (0, "ok"), err[-600:]
    refused = check_config("identity", {**container.env, "IDENTITY_REAL_NAME_PROVIDER": "dev"}, tmp_path)
    out, err = refused.communicate(timeout=300)
    assert refused.returncode != 0 and out == ""
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("identity: ") and "IDENTITY_REAL_NAME_PROVIDER=http" in lines[0]
