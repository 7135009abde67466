"""Test certificates: self-signed RSA signers made with `cryptography`, written as PEM files."""

from __future__ import annotations

import datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID


class Signer:
    def __init__(self, directory: Path, name: str, days: float = 3650, offset_days: float = 0):
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        subject = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "TaskQ Interop"),
                             x509.NameAttribute(NameOID.COMMON_NAME, name)])
        start = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=offset_days)
        cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(start - datetime.timedelta(days=1))
                .not_valid_after(start + datetime.timedelta(days=days))
                .sign(key, hashes.SHA256()))
        directory.mkdir(parents=True, exist_ok=True)
        self.key = directory / f"{name}.key"
        self.cert = directory / f"{name}.pem"
        self.key.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
        self.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        self.signer_id = " ".join(a.value for a in cert.issuer) + f" {cert.serial_number}"

    def store(self, directory: Path, *others: "Signer") -> Path:
        """A certificate-store directory holding this signer's certificate and `others`'."""
        directory.mkdir(parents=True, exist_ok=True)
        for signer in (self, *others):
            (directory / signer.cert.name).write_bytes(signer.cert.read_bytes())
        return directory
