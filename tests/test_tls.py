"""`minuted serve --https`: a local CA and a server certificate that phones can be told to trust."""
import os
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from cryptography import x509

from server import tls

MINUTED = Path(sys.executable).parent / "minuted"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_certificates(tmp_path):
    p = tls.ensure_server_cert(tmp_path, extra_names=["minuted.home.arpa"])
    ca = x509.load_pem_x509_certificate(p.ca_cert.read_bytes())
    cert = x509.load_pem_x509_certificate(p.cert.read_bytes())
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is True
    assert cert.issuer == ca.subject
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "localhost" in san.get_values_for_type(x509.DNSName)
    assert "minuted.home.arpa" in san.get_values_for_type(x509.DNSName)
    assert "127.0.0.1" in {str(ip) for ip in san.get_values_for_type(x509.IPAddress)}
    # test that phones (Apple) accept the lifetime and the keys are private
    assert (cert.not_valid_after_utc - cert.not_valid_before_utc).days <= 398
    assert oct(p.key.stat().st_mode & 0o777) == "0o600" and oct(p.ca_key.stat().st_mode & 0o777) == "0o600"
    # test that a second run reuses both (the phone trusts the CA once)
    before = (p.ca_cert.read_bytes(), p.cert.read_bytes())
    again = tls.ensure_server_cert(tmp_path, extra_names=["minuted.home.arpa"])
    assert (again.ca_cert.read_bytes(), again.cert.read_bytes()) == before


def _signed_by_ca(tmp_path, name):
    """A certificate for `name` signed with the local CA's key (what someone holding the key could make)."""
    import datetime

    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID
    from cryptography.x509.oid import NameOID

    ca, ca_key = tls.ensure_ca(tmp_path)
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(ca.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    ), ca


def test_the_local_ca_certifies_home_network_names_only(tmp_path):
    from cryptography.x509 import verification

    p = tls.ensure_server_cert(tmp_path, extra_names=["minuted.home.arpa"])
    ca = x509.load_pem_x509_certificate(p.ca_cert.read_bytes())
    constraints = ca.extensions.get_extension_for_class(x509.NameConstraints)
    assert constraints.critical
    store = verification.Store([ca])
    # the server certificate verifies for its names under the constraints
    cert = x509.load_pem_x509_certificate(p.cert.read_bytes())
    for name in ("localhost", "minuted.home.arpa"):
        verifier = verification.PolicyBuilder().store(store).build_server_verifier(verification.DNSName(name))
        verifier.verify(cert, [])
    # a certificate for a public site, signed with the same key, does not
    rogue, _ = _signed_by_ca(tmp_path, "www.example.com")
    verifier = verification.PolicyBuilder().store(store).build_server_verifier(
        verification.DNSName("www.example.com"))
    with pytest.raises(verification.VerificationError):
        verifier.verify(rogue, [])
    # asking later for a public name is refused with a way out, not silently certified
    with pytest.raises(tls.NameNotPermitted, match="Remove"):
        tls.ensure_server_cert(tmp_path, extra_names=["minuted.example.com"])


@pytest.fixture
def https_server(tmp_path):
    port = free_port()
    data = tmp_path / "data"
    env = {**os.environ, "MINUTED_ARGON2_TIME_COST": "1", "MINUTED_ARGON2_MEMORY_KIB": "1024"}
    proc = subprocess.Popen(
        [str(MINUTED), "serve", "--https", "--port", str(port), "--data", str(data)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        ca = data / "tls" / "minuted-ca.pem"
        for _ in range(200):
            if ca.exists():
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                        break
                except OSError:
                    pass
            if proc.poll() is not None:
                raise RuntimeError(proc.stdout.read())
            time.sleep(0.05)
        yield port, ca
    finally:
        proc.terminate()
        proc.wait(10)


def test_a_client_that_trusts_the_ca_gets_the_app(https_server):
    port, ca = https_server
    context = ssl.create_default_context(cafile=str(ca))
    with urllib.request.urlopen(f"https://127.0.0.1:{port}/setup", context=context, timeout=10) as response:
        assert response.status == 200 and b"Create account" in response.read()
    with urllib.request.urlopen(f"https://localhost:{port}/connect", context=context, timeout=10) as response:
        page = response.read().decode()
        assert "Download the certificate" in page and "minuted-ca.crt" in page
    with urllib.request.urlopen(f"https://127.0.0.1:{port}/connect/minuted-ca.crt", context=context, timeout=10) as r:
        assert r.headers["Content-Type"] == "application/x-x509-ca-cert"
        assert r.read() == ca.read_bytes()


def test_a_client_that_does_not_trust_it_is_refused(https_server):
    port, _ = https_server
    with pytest.raises(urllib.error.URLError) as error:
        urllib.request.urlopen(f"https://127.0.0.1:{port}/setup", context=ssl.create_default_context(), timeout=10)
    assert isinstance(error.value.reason, ssl.SSLCertVerificationError)


def test_connect_page_over_plain_http_explains_https(client):
    page = client.get("/connect")
    assert page.status_code == 200 and "minuted serve --https" in page.text
    assert client.get("/connect/minuted-ca.crt").status_code == 404
