"""The emulator's certificate is a leaf for our loopback names; its key is ours alone from birth."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from cometchat_auth.emulator import ensure_certificate


def test_the_certificate_is_a_leaf_that_cannot_sign_others(tmp_path: Path) -> None:
    certfile, _ = ensure_certificate(tmp_path)
    certificate = x509.load_pem_x509_certificate(certfile.read_bytes())
    constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints)
    assert constraints.critical
    assert constraints.value.ca is False
    usage = certificate.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical
    assert usage.value.digital_signature
    assert not usage.value.key_cert_sign
    assert not usage.value.crl_sign
    extended = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(extended) == [ExtendedKeyUsageOID.SERVER_AUTH]
    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["localhost"]
    assert [str(ip) for ip in names.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]


def test_the_key_file_is_created_private_never_loosened_then_tightened(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the key was written with other permissions first")

    # A chmod after writing leaves a moment in which the key is readable by others.
    monkeypatch.setattr(Path, "chmod", refuse)
    monkeypatch.setattr(os, "chmod", refuse)
    previous = os.umask(0)  # the widest umask a user can have: the mode must not depend on it
    try:
        _, keyfile = ensure_certificate(tmp_path / "tls")
    finally:
        os.umask(previous)
    assert stat.S_IMODE(keyfile.stat().st_mode) == 0o600
    assert sorted(path.name for path in keyfile.parent.iterdir()) == ["cert.pem", "key.pem"]
