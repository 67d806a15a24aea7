"""A throwaway hall CA and a hub certificate for 127.0.0.1, made with the openssl CLI as
docs/architecture.md, 'The hall network: TLS' tells a technician to make them (the venv has no `cryptography`)."""
from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class HallCerts:
    ca: Path  # hall-ca.crt: what kiosks and boards get with --ca
    cert: Path  # hub.crt: --tls-cert
    key: Path  # hub.key: --tls-key
    other_key: Path  # a key of no certificate here: the mismatched pair


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_hall_certs(folder: Path) -> HallCerts:
    folder.mkdir(parents=True, exist_ok=True)
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "hall-ca.key", "-out", "hall-ca.crt",
             "-days", "2", "-subj", "/CN=HallQ test hall CA", cwd=folder)
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "hub.key", "-out", "hub.csr", "-subj", "/CN=127.0.0.1", cwd=folder)
    (folder / "hub.ext").write_text("subjectAltName = IP:127.0.0.1, DNS:localhost\n")
    _openssl("x509", "-req", "-in", "hub.csr", "-CA", "hall-ca.crt", "-CAkey", "hall-ca.key", "-CAcreateserial",
             "-out", "hub.crt", "-days", "2", "-extfile", "hub.ext", cwd=folder)
    _openssl("genpkey", "-algorithm", "RSA", "-out", "other.key", cwd=folder)
    return HallCerts(folder / "hall-ca.crt", folder / "hub.crt", folder / "hub.key", folder / "other.key")
