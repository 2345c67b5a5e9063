"""Test hosts on one machine: a private bridge, and one network namespace per host with its own
address on it, the way pods get their own IPs on a node's bridge.

Only the harness's own addresses exist on the bridge and the namespaces have no default route, so
nothing a test sends can leave the machine. Everything is removed on ``close`` (also after a
failure), and names carry the creating process's id so a run killed half-way is swept by the next.
"""

from __future__ import annotations

import ipaddress
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from tests.cluster.claims import Claim, claim_one

PREFIX = "tqrc"  # every bridge and namespace of the harness starts with this (veth pairs: "tq")
_NETWORKS_MADE = iter("abcdefghijklmnopqrstuvwxyz")
NETNS_ETC = Path("/etc/netns")  # `ip netns exec` bind-mounts /etc/netns/<ns>/* over /etc/*


def ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", *args], capture_output=True, text=True, check=check)


def can_create_namespaces() -> str | None:
    """None when this process can build the network, else why not."""
    if os.geteuid() != 0:
        return "the many-hosts harness needs root (network namespaces)"
    if shutil.which("ip") is None:
        return "iproute2 is missing (make install brings it)"
    return None


@dataclass
class Host:
    name: str
    namespace: str
    address: str

    def command(self, *argv: str) -> list[str]:
        """``argv`` run inside this host's namespace."""
        return ["ip", "netns", "exec", self.namespace, *argv]


@dataclass
class Network:
    """A bridge with the harness's side at ``.1`` and a host per namespace from ``.10`` on."""

    # The process id (seven digits, what the sweep reads) and a letter per network this process made:
    # the clusters of one test run (one per module) never share a name, even if one was not removed.
    run_id: str = field(default_factory=lambda: f"{os.getpid():07d}{next(_NETWORKS_MADE)}")
    _subnet: Claim[ipaddress.IPv4Network] = field(default_factory=lambda: _free_subnet())
    hosts: dict[str, Host] = field(default_factory=dict)
    _next: int = 10

    @property
    def subnet(self) -> ipaddress.IPv4Network:
        return self._subnet.value

    @property
    def bridge(self) -> str:
        return f"{PREFIX}{self.run_id}br"

    @property
    def bridge_mac(self) -> str:
        third = self.subnet.network_address.packed[2]
        return f"02:74:71:72:{third:02x}:01"

    @property
    def gateway_address(self) -> str:
        """The machine's own address on the bridge: where DNS, the pooler and forwarders listen."""
        return str(self.subnet.network_address + 1)

    def open(self) -> Network:
        sweep_leftovers()
        # An address of its own (locally administered, from the subnet): without one a bridge takes
        # the lowest of its ports', which changes as pods come and go, and every pod's ARP entry for
        # the bridge (DNS, the pooler, the forwarders) would go stale at once.
        ip("link", "add", self.bridge, "address", self.bridge_mac, "type", "bridge")
        ip("addr", "add", f"{self.gateway_address}/{self.subnet.prefixlen}", "dev", self.bridge)
        ip("link", "set", self.bridge, "up")
        return self

    def add_host(self, name: str, nameserver: str | None = None) -> Host:
        """A new namespace wired to the bridge; its resolver asks ``nameserver`` (DNS on the bridge)."""
        index = self._next
        self._next += 1
        address = str(self.subnet.network_address + index)
        namespace = f"{PREFIX}{self.run_id}-{name}"
        # Interface names hold 15 characters: a short prefix here.
        outside, inside = f"tq{self.run_id}h{index}", f"tq{self.run_id}p{index}"
        etc = NETNS_ETC / namespace
        etc.mkdir(parents=True, exist_ok=True)
        (etc / "resolv.conf").write_text(f"nameserver {nameserver or self.gateway_address}\noptions timeout:1 attempts:2\n")
        (etc / "hosts").write_text(f"127.0.0.1 localhost\n{address} {name}\n")
        ip("netns", "add", namespace)
        ip("link", "add", outside, "type", "veth", "peer", "name", inside)
        ip("link", "set", outside, "master", self.bridge)
        ip("link", "set", outside, "up")
        ip("link", "set", inside, "netns", namespace)
        ip("-n", namespace, "link", "set", "lo", "up")
        ip("-n", namespace, "link", "set", inside, "name", "eth0")
        ip("-n", namespace, "addr", "add", f"{address}/{self.subnet.prefixlen}", "dev", "eth0")
        ip("-n", namespace, "link", "set", "eth0", "up")
        host = Host(name, namespace, address)
        self.hosts[name] = host
        return host

    def remove_host(self, name: str) -> None:
        host = self.hosts.pop(name)
        _delete_namespace(host.namespace)

    def close(self) -> None:
        for name in list(self.hosts):
            self.remove_host(name)
        ip("link", "del", self.bridge, check=False)
        self._subnet.release()


def _free_subnet() -> Claim[ipaddress.IPv4Network]:
    """A /24 of the harness's range that no other cluster has claimed and no route of this machine
    uses: two clusters alive at once (`make test`'s two runs, two worktrees' runs) never share one."""
    used = ip("-4", "route", "show", check=False).stdout
    candidates = (ipaddress.IPv4Network(f"10.254.{third}.0/24") for third in range(1, 255))
    return claim_one("subnet", candidates, usable=lambda candidate: str(candidate) not in used)


def _delete_namespace(namespace: str) -> None:
    _kill_namespace_processes(namespace)
    ip("netns", "del", namespace, check=False)  # its veth end goes with it, and so does the peer
    shutil.rmtree(NETNS_ETC / namespace, ignore_errors=True)


def _kill_namespace_processes(namespace: str) -> None:
    pids = ip("netns", "pids", namespace, check=False).stdout.split()
    for pid in pids:
        try:
            os.kill(int(pid), 9)
        except (ProcessLookupError, ValueError):
            pass


def sweep_leftovers() -> None:
    """Remove the namespaces and bridges of harness runs whose process is gone."""
    listed = ip("netns", "list", check=False).stdout.split("\n")
    for line in listed:
        namespace = line.split(" ")[0]
        if namespace.startswith(PREFIX) and not _owner_alive(namespace[len(PREFIX):len(PREFIX) + 7]):
            _delete_namespace(namespace)
    for line in ip("-o", "link", "show", check=False).stdout.splitlines():
        name = line.split(":")[1].strip().split("@")[0]
        if name.startswith(PREFIX) and name.endswith("br") and not _owner_alive(name[len(PREFIX):len(PREFIX) + 7]):
            ip("link", "del", name, check=False)


def _owner_alive(run_id: str) -> bool:
    """Whether the process that made these names (its id leads the run id) still runs."""
    pid = run_id[:7]
    return pid.isdigit() and Path(f"/proc/{int(pid)}").exists()
