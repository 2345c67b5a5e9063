"""A real DNS server for tests: dnsmasq on 127.0.0.1 and a port of its own, answering names from a
hosts file the test rewrites (as a headless Kubernetes Service answers with its ready pods).

``grpc`` clients reach it with the target ``dns://127.0.0.1:<port>/<name>:<grpc port>``.
"""

from __future__ import annotations

import os
import pwd
import secrets
import signal
import socket
import struct
import subprocess
from pathlib import Path

from testkit import free_port

DNSMASQ = "/usr/sbin/dnsmasq"


class DnsServer:
    def __init__(self, folder: Path) -> None:
        self.hosts_file = folder / "dns-hosts"
        self.hosts_file.write_text("", encoding="utf-8")
        self.port = free_port()
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        user = pwd.getpwuid(os.getuid()).pw_name  # read the hosts file again as this user after SIGHUP
        self._process = subprocess.Popen(
            [DNSMASQ, "--keep-in-foreground", "--conf-file=/dev/null", "--pid-file=", f"--user={user}",
             "--no-resolv", "--no-hosts", f"--addn-hosts={self.hosts_file}",
             # Answers say "keep this one second", as Kubernetes' DNS says a few seconds.
             "--local-ttl=1", f"--port={self.port}", "--listen-address=127.0.0.1", "--bind-interfaces"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )

    def publish(self, name: str, addresses: list[str]) -> None:
        """From now on ``name`` answers ``addresses`` (SIGHUP makes dnsmasq read the file again)."""
        self.hosts_file.write_text("".join(f"{a} {name}\n" for a in addresses), encoding="utf-8")
        if self._process is not None:
            self._process.send_signal(signal.SIGHUP)

    def answers(self, name: str) -> list[str]:
        """The A records the server gives for ``name`` now (empty when it does not answer)."""
        return query_a("127.0.0.1", self.port, name)

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=10)
            self._process = None

    def target(self, name: str, port: int) -> str:
        return f"dns://127.0.0.1:{self.port}/{name}:{port}"


def query_a(server: str, port: int, name: str, timeout: float = 0.5) -> list[str]:
    """One DNS query for A records over UDP (RFC 1035), enough to see what the server answers."""
    ident = secrets.randbelow(0x10000)
    question = b"".join(bytes([len(label)]) + label.encode() for label in name.split(".")) + b"\0"
    packet = struct.pack(">HHHHHH", ident, 0x0100, 1, 0, 0, 0) + question + struct.pack(">HH", 1, 1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        sock.sendto(packet, (server, port))
        try:
            reply = sock.recv(4096)
        except TimeoutError:
            return []
    (reply_id, _flags, _questions, count, _ns, _extra) = struct.unpack(">HHHHHH", reply[:12])
    if reply_id != ident:
        return []
    offset = 12 + len(question) + 4
    found = []
    for _ in range(count):
        offset = _after_name(reply, offset)
        kind, _klass, _ttl, length = struct.unpack(">HHIH", reply[offset:offset + 10])
        offset += 10
        if kind == 1 and length == 4:
            found.append(socket.inet_ntoa(reply[offset:offset + 4]))
        offset += length
    return sorted(found)


def _after_name(reply: bytes, offset: int) -> int:
    """Where the (possibly compressed) name starting at ``offset`` ends."""
    while True:
        length = reply[offset]
        if length & 0xC0 == 0xC0:  # a pointer to a name earlier in the message ends it
            return offset + 2
        offset += 1 + length
        if length == 0:
            return offset
