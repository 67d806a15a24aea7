"""TLS for the hall network: the hub's certificate (``hallq serve --tls-cert --tls-key``) and the
trust of its clients (``hallq kiosk|board --ca``).

Without it, staff PINs, session tokens and the device tokens (the boards' ``?token=`` on the
event stream) crossed the hall LAN in clear. Only the standard library: a kiosk PC imports this
through server.hub_client and must not load the engine or the database code.
"""
from __future__ import annotations

import argparse
import ssl
from pathlib import Path

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


class TlsSetupError(Exception):
    """A certificate, key or CA file that cannot be used; ``str()`` is the one bilingual line to print."""


def _read(path: Path, option: str) -> str:
    try:
        return path.read_text(encoding="ascii", errors="replace")
    except FileNotFoundError:
        raise TlsSetupError(f"cannot use {option} {path}: no such file (找不到该文件，请核对 {option})") from None
    except IsADirectoryError:
        raise TlsSetupError(f"cannot use {option} {path}: it is a folder, not a file (这是文件夹，不是文件，请核对 {option})") from None
    except OSError as error:  # PermissionError above all: the key is usually 0600, owned by another user
        raise TlsSetupError(f"cannot read {option} {path}: {error.strerror or error} "
                            f"(无法读取该文件，请检查文件权限：hub 的运行用户须能读取它)") from None


def server_context(cert: Path, key: Path) -> ssl.SSLContext:
    """The hub's context: TLS 1.2 or later, the hall's certificate (chain) and its private key, both PEM.
    Raises TlsSetupError naming the file at fault."""
    cert_text, key_text = _read(cert, "--tls-cert"), _read(key, "--tls-key")
    if "-----BEGIN CERTIFICATE-----" not in cert_text:
        raise TlsSetupError(f"cannot use --tls-cert {cert}: not a PEM certificate (no BEGIN CERTIFICATE line; "
                            f"was the key given as the certificate?) (证书文件不是 PEM 格式的证书，请核对 --tls-cert)")
    if "PRIVATE KEY-----" not in key_text:
        raise TlsSetupError(f"cannot use --tls-key {key}: not a PEM private key (no BEGIN … PRIVATE KEY line) "
                            f"(私钥文件不是 PEM 格式的私钥，请核对 --tls-key)")
    if "ENCRYPTED" in key_text:  # load_cert_chain would wait for a passphrase typed at a terminal
        raise TlsSetupError(f"cannot use --tls-key {key}: the key is protected by a passphrase; the hub starts unattended: "
                            f"write it out without one (openssl pkey -in KEY -out hub.key, kept 0600) "
                            f"(私钥设有口令，hub 无人值守启动无法输入：请导出无口令的私钥并设为仅 hub 用户可读)")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(cert, key)
    except ssl.SSLError as error:
        if "KEY_VALUES_MISMATCH" in str(error) or "key values mismatch" in str(error):
            raise TlsSetupError(f"cannot use --tls-cert {cert} with --tls-key {key}: the key does not belong to this certificate "
                                f"(证书与私钥不匹配，请核对 --tls-cert 与 --tls-key 是否同一对)") from None
        raise TlsSetupError(f"cannot use --tls-cert {cert} / --tls-key {key}: {error} "
                            f"(证书或私钥无法加载，请核对这两个文件)") from None
    return context


def client_context(ca: Path | None) -> ssl.SSLContext:
    """A kiosk's or board's trust: the hall's own CA (or the hub's self-signed certificate) with
    ``--ca``, else the system's trust store. Host names are checked either way."""
    if ca is not None:
        text = _read(ca, "--ca")
        if "-----BEGIN CERTIFICATE-----" not in text:
            raise TlsSetupError(f"cannot use --ca {ca}: not a PEM certificate (no BEGIN CERTIFICATE line) "
                                f"(--ca 文件不是 PEM 格式的证书：应为大厅 CA 的证书 hall-ca.crt)")
    try:
        context = ssl.create_default_context(cafile=str(ca) if ca is not None else None)
    except ssl.SSLError as error:
        raise TlsSetupError(f"cannot use --ca {ca}: {error} (--ca 证书无法加载)") from None
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def check_ca(parser: argparse.ArgumentParser, ca: Path | None) -> None:
    """`--ca` of `hallq kiosk|board`: refused at once (one line, exit 2) when it cannot be used,
    not found out at the first request."""
    try:
        client_context(ca)
    except TlsSetupError as error:
        parser.error(str(error))


def clear_text_warning(host: str) -> str | None:
    """The start-up warning of a hub reachable from the network without TLS; None on loopback."""
    if host in LOOPBACK_HOSTS:
        return None
    return (f"serving plain HTTP on {host}: staff passwords/PINs, session and device tokens cross the network in clear; "
            f"serve HTTPS with --tls-cert FILE --tls-key FILE (see docs/architecture.md, 'The hall network: TLS') "
            f"(未启用 TLS：密码与令牌将以明文在网络上传输，请使用 --tls-cert 与 --tls-key 启用 HTTPS)")
