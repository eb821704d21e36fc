"""HTTPS for phones on the home network: a small local certificate authority and a server certificate.

Browsers give the microphone and service workers only to secure origins, and a
self-signed server certificate is not enough for a service worker. So
`minuted serve --https` makes, once, a CA kept in the data directory, and a
server certificate signed by it for this machine's names and LAN addresses.
The parent installs the CA certificate on their phone once (the /connect page
explains how); the server certificate is reissued when the addresses change.
"""
import ipaddress
import os
import socket
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID
from cryptography.x509.oid import NameOID

CA_DAYS = 3650
# The local CA may only certify names on the home network: even if its key leaked, or a phone kept trusting it
# for years, it could not be used to impersonate a public site. DNS names: these domains and the names of this
# machine; addresses: loopback, private and link-local ranges.
PERMITTED_DNS = ("localhost", "local", "home.arpa", "lan", "internal", "localdomain")
PERMITTED_NETWORKS = (
    "127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "100.64.0.0/10",
    "::1/128", "fc00::/7", "fe80::/10",
)


class NameNotPermitted(ValueError):
    """A name the local CA was not made to certify."""


def name_constraints(extra_dns=()):
    """The CA's NameConstraints: the home-network domains, this machine's names and the private address ranges."""
    dns = sorted({*PERMITTED_DNS, socket.gethostname().split(".")[0].lower(), *(n.lower() for n in extra_dns)})
    return x509.NameConstraints(
        permitted_subtrees=[x509.DNSName(n) for n in dns]
        + [x509.IPAddress(ipaddress.ip_network(net)) for net in PERMITTED_NETWORKS],
        excluded_subtrees=None,
    )


def permitted(ca_cert, dns, ips):
    """Return the names the CA may not certify ([] when it has no constraints: a CA made before they were added)."""
    try:
        nc = ca_cert.extensions.get_extension_for_class(x509.NameConstraints).value
    except x509.ExtensionNotFound:
        return []
    domains = [d.value.lower() for d in nc.permitted_subtrees or () if isinstance(d, x509.DNSName)]
    nets = [n.value for n in nc.permitted_subtrees or () if isinstance(n, x509.IPAddress)]
    bad = [n for n in dns if not any(n.lower() == d or n.lower().endswith("." + d) for d in domains)]
    bad += [str(ip) for ip in ips if not any(ip.version == net.version and ip in net for net in nets)]
    return bad
# Apple devices refuse server certificates valid for more than 825 days (398 for public CAs)
SERVER_DAYS = 397
RENEW_BEFORE = timedelta(days=30)


@dataclass(frozen=True)
class Paths:
    ca_cert: Path
    ca_key: Path
    cert: Path
    key: Path


def paths(data_dir):
    folder = Path(data_dir) / "tls"
    return Paths(folder / "minuted-ca.pem", folder / "minuted-ca.key", folder / "server.pem", folder / "server.key")


def lan_names():
    """Return (DNS names, IP addresses) this machine answers to on the local network."""
    host = socket.gethostname()
    dns = {"localhost", host, f"{host.split('.')[0]}.local"}
    ips = {ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1")}
    try:
        for info in socket.getaddrinfo(host, None):
            ips.add(ipaddress.ip_address(info[4][0].split("%")[0]))
    except OSError:
        pass
    try:
        # the address a packet to the LAN would leave from (no packet is sent)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("10.255.255.255", 1))
            ips.add(ipaddress.ip_address(s.getsockname()[0]))
    except OSError:
        pass
    return sorted(dns), sorted(ips, key=lambda ip: (ip.version, int(ip)))


def _write_private(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def _key_pem(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def ensure_ca(data_dir, extra_dns=()):
    """Return (CA certificate, CA key), making them the first time (constrained to home-network names)."""
    p = paths(data_dir)
    if p.ca_cert.exists() and p.ca_key.exists():
        cert = x509.load_pem_x509_certificate(p.ca_cert.read_bytes())
        key = serialization.load_pem_private_key(p.ca_key.read_bytes(), password=None)
        return cert, key
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(timezone.utc)
    name = x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Minuted (this computer only)"),
        x509.NameAttribute(NameOID.COMMON_NAME, f"Minuted local CA on {socket.gethostname()}"[:64]),
    ])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(name_constraints(extra_dns), critical=True)
        .add_extension(
            x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                          key_encipherment=False, data_encipherment=False, key_agreement=False,
                          encipher_only=False, decipher_only=False),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write_private(p.ca_key, _key_pem(key))
    p.ca_cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert, key


def _needs_new(cert_path, dns, ips):
    if not cert_path.exists():
        return True
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    if cert.not_valid_after_utc - datetime.now(timezone.utc) < RENEW_BEFORE:
        return True
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    have = set(san.get_values_for_type(x509.DNSName)) | {str(ip) for ip in san.get_values_for_type(x509.IPAddress)}
    return not ({*dns, *(str(ip) for ip in ips)} <= have)


def ensure_server_cert(data_dir, extra_names=()):
    """Return Paths with a current server certificate for this machine's names, signed by the local CA."""
    p = paths(data_dir)
    dns, ips = lan_names()
    for name in extra_names:
        try:
            ips.append(ipaddress.ip_address(name))
        except ValueError:
            dns.append(name)
    extra_dns = [n for n in extra_names if n not in {str(ip) for ip in ips}]
    ca_cert, ca_key = ensure_ca(data_dir, extra_dns)
    # names the CA may not certify: addresses outside the private ranges are left out of the certificate
    # (a phone would refuse the whole certificate); a DNS name asked for by name is an error to fix
    refused = permitted(ca_cert, dns, ips)
    ips = [ip for ip in ips if str(ip) not in refused]
    asked = [n for n in extra_dns if n in refused]
    if asked:
        raise NameNotPermitted(
            f"The local certificate authority was made for the home network and cannot certify {', '.join(asked)}. "
            f"Remove {p.ca_cert.parent} to make a new one (phones must then trust the new one).")
    dns = [n for n in dns if n not in refused]
    if not _needs_new(p.cert, dns, ips):
        return p
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, dns[0] if dns else "minuted")]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=SERVER_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName(
            [x509.DNSName(n) for n in dns] + [x509.IPAddress(ip) for ip in ips]), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    _write_private(p.key, _key_pem(key))
    p.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return p


def phone_urls(port):
    """Return the https URLs a phone on the LAN can use, best first (LAN IPv4, then names)."""
    dns, ips = lan_names()
    lan = [str(ip) for ip in ips if ip.version == 4 and not ip.is_loopback]
    names = [n for n in dns if n != "localhost"]
    return [f"https://{h}:{port}/" for h in lan + names] or [f"https://localhost:{port}/"]
