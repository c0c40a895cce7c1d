"""TLS transport: with a certificate and key configured the agent listens on TLS too."""

from __future__ import annotations

import datetime
import socket
import ssl
import uuid
from pathlib import Path

import pytest
from rawsip import SipProbe, parse_response

pytestmark = [pytest.mark.sip]


def self_signed(tmp_path: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "tls.crt", tmp_path / "tls.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.TraditionalOpenSSL,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def test_tls_transport_answers_options(start_agent, tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    agent = start_agent(sip={"transports": ["udp", "tcp", "tls"], "tls_cert_file": str(cert),
                             "tls_key_file": str(key)})
    tls_port = agent.wait_for("transports")["ports"]["tls"]
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", tls_port), timeout=5) as raw, \
            context.wrap_socket(raw) as tls:
        helper = SipProbe.__new__(SipProbe)  # reuse its request builder on our TLS socket
        helper.agent, helper.transport, helper.local_port = ("127.0.0.1", tls_port), "tls", \
            tls.getsockname()[1]
        tls.sendall(helper.request("OPTIONS", call_id=uuid.uuid4().hex, cseq=1))
        response = parse_response(tls.recv(65535))
    assert response is not None and response.code == 200
    assert agent.alive()
