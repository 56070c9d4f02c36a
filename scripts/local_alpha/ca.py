"""The test CA made at `up` time, and the per-domain certificates it signs."""

import datetime
import ipaddress
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from local_alpha import state

VALIDITY = datetime.timedelta(days=825)


def ensure_ca() -> None:
    """Create the CA key and certificate once."""
    if state.CA_CERT.exists() and state.CA_KEY.exists():
        return
    state.CA_DIR.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "local Alpha test CA")])
    cert = (
        _builder(name, name, key.public_key())
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_usage(cert_sign=True), critical=True)
        .sign(key, hashes.SHA256())
    )
    _write_key(state.CA_KEY, key)
    state.CA_CERT.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    state.CA_CERT.chmod(0o644)


def issue(domain: str, directory: Path) -> tuple[Path, Path]:
    """Sign a server certificate for one domain; returns (chain file, key file)."""
    ca_key = serialization.load_pem_private_key(state.CA_KEY.read_bytes(), password=None)
    ca_cert = x509.load_pem_x509_certificate(state.CA_CERT.read_bytes())
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, domain)])
    cert = (
        _builder(subject, ca_cert.subject, key.public_key())
        .add_extension(x509.SubjectAlternativeName([_general_name(domain)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_usage(cert_sign=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())  # type: ignore[arg-type]
    )
    return _write_pair(directory, domain, cert, key)


def self_signed(directory: Path) -> tuple[Path, Path]:
    """An untrusted certificate for unknown names, like Traefik's default certificate."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "TRAEFIK DEFAULT CERT")])
    cert = _builder(name, name, key.public_key()).sign(key, hashes.SHA256())
    return _write_pair(directory, "_default", cert, key)


def _builder(subject, issuer, public_key) -> x509.CertificateBuilder:
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + VALIDITY)
    )


def _usage(cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _general_name(domain: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(domain))
    except ValueError:
        return x509.DNSName(domain)


def _write_pair(directory: Path, name: str, cert, key) -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    chain = directory / f"{name}.pem"
    key_file = directory / f"{name}.key"
    _write_key(key_file, key)
    chain.write_bytes(cert.public_bytes(serialization.Encoding.PEM) + _ca_pem(cert))
    return chain, key_file


def _ca_pem(cert: x509.Certificate) -> bytes:
    if cert.issuer == cert.subject:
        return b""
    return state.CA_CERT.read_bytes()


def _write_key(path: Path, key) -> None:
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.touch(mode=0o600)
    path.write_bytes(pem)
