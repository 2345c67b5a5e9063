"""A closed cluster takes its folder with it: the pods' logs and the Secrets mounted as files.

`make test` starts a cluster per cluster module; their folders were left in the temporary folder,
keys included, one more set every run. A failing test's report already carries what the pods
logged at warning level (tests/cluster/conftest.py), read before the module's cluster closes.
"""

from __future__ import annotations

from tests.cluster.system import Cluster


def test_a_closed_cluster_leaves_no_folder_behind() -> None:
    system = Cluster("prod")
    secret = system.folder / "pods" / "identity-1" / "mounts" / "keys" / "actor-signing"
    secret.parent.mkdir(parents=True)
    secret.write_text("a key")
    secret.chmod(0o400)
    (system.folder / "identity-1.log").write_text("a pod's log\n")

    system.close()

    assert not system.folder.exists()
    # Its pooler never started (a test that needed none, or a start that failed before it): the
    # pooler's folder was made anyway and stayed.
    assert not system.pooler.folder.exists()
