"""A development CA and a certificate per service, for ``make run``, the tests and the many-hosts
harness (production's come from cert-manager or the operator's own CA: deploy/README.md).

Each certificate names its service as common name (the identity servers check, rpc.tls) and as DNS
names the ones clients reach it by: the service, its ``-headless`` Service, ``localhost``; plus
127.0.0.1. Files are made once per folder and reused while they are valid.
"""

from __future__ import annotations

import datetime
import ipaddress
from collections.abc import Iterable
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from servicekit.rpc.tls import TlsFiles

SERVICES = ("identity", "application", "notification", "documents", "gateway")
VALID_DAYS = 30


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    path.chmod(0o600)


def _load(path: Path) -> x509.Certificate | None:
    try:
        cert = x509.load_pem_x509_certificate(path.read_bytes())
    except (OSError, ValueError):
        return None
    left = cert.not_valid_after_utc - datetime.datetime.now(datetime.UTC)
    return cert if left > datetime.timedelta(days=1) else None


def _ca(folder: Path) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    cert_path, key_path = folder / "ca.crt", folder / "ca.key"
    cert = _load(cert_path)
    if cert is not None and key_path.exists():
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        return cert, key
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(_name("tqr development CA")).issuer_name(_name("tqr development CA"))
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=VALID_DAYS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
            .sign(key, hashes.SHA256()))
    _write_key(key_path, key)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert, key


def issue(folder: Path, service: str, ca: tuple[x509.Certificate, ec.EllipticCurvePrivateKey],
          dns_names: Iterable[str] = ()) -> TlsFiles:
    """``<service>.crt`` / ``<service>.key`` signed by the CA, for server and client use."""
    ca_cert, ca_key = ca
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    names = dict.fromkeys([service, f"{service}-headless", "localhost", *dns_names])
    san = [x509.DNSName(n) for n in names] + [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    cert = (x509.CertificateBuilder().subject_name(_name(service)).issuer_name(ca_cert.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=VALID_DAYS))
            .add_extension(x509.SubjectAlternativeName(san), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    _write_key(folder / f"{service}.key", key)
    (folder / f"{service}.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return files_of(folder, service)


def files_of(folder: Path, service: str) -> TlsFiles:
    return TlsFiles(cert=str(folder / f"{service}.crt"), key=str(folder / f"{service}.key"), ca=str(folder / "ca.crt"))


def ensure(folder: Path, services: Iterable[str] = SERVICES) -> dict[str, TlsFiles]:
    """The CA and one certificate per service under ``folder`` (made when missing or expiring)."""
    folder.mkdir(parents=True, exist_ok=True)
    ca = _ca(folder)
    made = {}
    for service in services:
        cert = _load(folder / f"{service}.crt")
        fresh = cert is not None and cert.issuer == ca[0].subject and (folder / f"{service}.key").exists()
        made[service] = files_of(folder, service) if fresh else issue(folder, service, ca)
    return made


def tls_env(service: str, files: TlsFiles) -> dict[str, str]:
    """The settings that point a process at its files (``<S>_TLS_CERT``…)."""
    prefix = service.upper()
    return {f"{prefix}_TLS_CERT": files.cert, f"{prefix}_TLS_KEY": files.key, f"{prefix}_TLS_CA": files.ca}


if __name__ == "__main__":  # python -m servicekit.devpki <folder>: a CA and a certificate per service
    import sys

    made = ensure(Path(sys.argv[1] if len(sys.argv) > 1 else "tls"))
    for service, files in made.items():
        print(f"{service}: {files.cert} {files.key} (CA {files.ca})")
