"""A real DNS server (dnsmasq) answering the cluster's names the way Kubernetes' DNS answers a
headless Service: one A record per ready replica. Adding or removing a replica is adding or
removing its record; dnsmasq re-reads the records on SIGHUP and answers with a TTL of one second.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from collections import defaultdict
from pathlib import Path

DNSMASQ = "/usr/sbin/dnsmasq"


class Dns:
    def __init__(self, listen: str, folder: Path) -> None:
        self.listen = listen
        self.records_file = folder / "records"
        self.records: dict[str, list[str]] = defaultdict(list)
        self.process: subprocess.Popen[bytes] | None = None
        self.log = folder / "dnsmasq.log"

    def start(self) -> None:
        self._write()
        self.process = subprocess.Popen(
            [DNSMASQ, "--keep-in-foreground", "--no-resolv", "--no-hosts", "--no-poll", "--bind-interfaces",
             f"--listen-address={self.listen}", "--port=53", f"--addn-hosts={self.records_file}",
             "--local-ttl=1", "--neg-ttl=1", "--no-negcache", "--domain-needed", "--user=root",
             "--pid-file=", "--log-facility=-"],
            stdout=self.log.open("ab"), stderr=subprocess.STDOUT)
        self._wait_until_answering()

    def add(self, name: str, address: str) -> None:
        if address not in self.records[name]:
            self.records[name].append(address)
            self._reload()

    def remove(self, name: str, address: str) -> None:
        if address in self.records[name]:
            self.records[name].remove(address)
            self._reload()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def _write(self) -> None:
        lines = [f"{address} {name}" for name, addresses in sorted(self.records.items()) for address in addresses]
        self.records_file.write_text("\n".join(lines) + "\n")

    def _reload(self) -> None:
        self._write()
        if self.process is not None:
            self.process.send_signal(signal.SIGHUP)

    def _wait_until_answering(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"dnsmasq exited: {self.log.read_text(errors='replace')[-1000:]}")
            if _answers(self.listen):
                return
            time.sleep(0.1)
        raise RuntimeError(f"dnsmasq did not answer on {self.listen}:53")


def _answers(server: str) -> bool:
    """Send one query for a name nobody has; any answer (NXDOMAIN included) means it is up."""
    query = b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x05probe\x00\x00\x01\x00\x01"
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(0.5)
        try:
            sock.sendto(query, (server, 53))
            return sock.recv(512)[:2] == b"\x12\x34"
        except OSError:
            return False
