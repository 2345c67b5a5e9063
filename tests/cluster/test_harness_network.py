"""The harness's bridge keeps one MAC address while pods come and go.

A Linux bridge without an address of its own takes the lowest of its ports': removing or adding
a pod's veth could change it, and every other pod's ARP entry for the bridge's address (DNS, the
pooler, the broker's and Redis's forwarders) went stale until it was asked again. A rolling restart
then failed requests with "Temporary failure in name resolution" in pods nobody touched.
"""

from __future__ import annotations

import json

from tests.cluster.network import Network, ip


def _mac(network: Network) -> str:
    (link,) = json.loads(ip("-j", "link", "show", network.bridge).stdout)
    return str(link["address"])


def test_the_bridges_address_stays_while_hosts_come_and_go() -> None:
    network = Network().open()
    try:
        seen = {_mac(network)}
        for name in ("a", "b", "c"):
            network.add_host(name)
            seen.add(_mac(network))
        for name in ("a", "c", "b"):
            network.remove_host(name)
            seen.add(_mac(network))
        assert len(seen) == 1, seen
    finally:
        network.close()
