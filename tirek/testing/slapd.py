"""A real OpenLDAP server for tests (a pytest plugin, loaded by the root conftest).

`Slapd` builds a throwaway cn=config in a temporary directory (slapadd -n0), loads the base
entries offline (slapadd -n1), and runs /usr/sbin/slapd in the foreground on a free port of
127.0.0.1. `stop()`, `kill()` and `restart()` keep the data and the port, so later tests can
take the directory away in the middle of a batch and bring it back.

The session fixture `slapd` gives one server per xdist worker; tests add entries with unique
names (`add_user`) rather than resetting the tree.
"""

from __future__ import annotations

import atexit
import base64
import hashlib
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

SLAPD = Path("/usr/sbin/slapd")
SLAPADD = Path("/usr/sbin/slapadd")
MODULE_DIR = Path("/usr/lib/ldap")
SCHEMA_DIR = Path("/etc/ldap/schema")
SCHEMAS = ("core", "cosine", "inetorgperson", "nis")

SUFFIX = "dc=ksu,dc=edu,dc=kz"
ADMIN_DN = f"cn=admin,{SUFFIX}"
PEOPLE_DN = f"ou=people,{SUFFIX}"
GROUPS_DN = f"ou=groups,{SUFFIX}"


def ssha(password: str) -> str:
    """A salted SHA-1 userPassword value, as slappasswd makes it."""
    salt = secrets.token_bytes(8)
    digest = hashlib.sha1(password.encode() + salt).digest()  # noqa: S324 - LDAP's own scheme
    return "{SSHA}" + base64.b64encode(digest + salt).decode()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SlapdError(RuntimeError):
    pass


class Slapd:
    """One OpenLDAP server with suffix dc=ksu,dc=edu,dc=kz, ou=people and ou=groups."""

    suffix = SUFFIX
    admin_dn = ADMIN_DN
    people_dn = PEOPLE_DN
    groups_dn = GROUPS_DN

    def __init__(
        self,
        admin_password: str | None = None,
        port: int | None = None,
        *,
        tls: bool = False,
        nosync: bool = False,
    ) -> None:
        self.admin_password = admin_password or secrets.token_urlsafe(12)
        self.port = port or free_port()
        self.host = "127.0.0.1"
        # With tls: StartTLS on `uri` and LDAPS on `ldaps_uri`, with a certificate for
        # 127.0.0.1 signed by a throwaway CA (`ca_file`); `untrusted_ca_file` is another CA.
        self.tls = tls
        self.tls_port = free_port() if tls else None
        # nosync: mdb without disk syncs (the benchmark's view of Tirek's own overhead).
        self.nosync = nosync
        self.directory = Path(tempfile.mkdtemp(prefix="tirek-slapd-"))
        self.config_dir = self.directory / "slapd.d"
        self.data_dir = self.directory / "data"
        self.log_path = self.directory / "slapd.log"
        self.process: subprocess.Popen | None = None
        self._configured = False
        atexit.register(self.cleanup)

    @property
    def uri(self) -> str:
        return f"ldap://{self.host}:{self.port}"

    @property
    def ldaps_uri(self) -> str:
        return f"ldaps://{self.host}:{self.tls_port}"

    @property
    def ca_file(self) -> Path:
        return self.directory / "tls" / "ca.pem"

    @property
    def untrusted_ca_file(self) -> Path:
        return self.directory / "tls" / "other-ca.pem"

    def _make_certificates(self) -> str:
        """A CA, a server certificate for 127.0.0.1 signed by it, and an unrelated CA; returns
        the olcTLS* lines of cn=config."""
        folder = self.directory / "tls"
        folder.mkdir(exist_ok=True)
        ca_key, ca_cert = _certificate("Tirek test CA")
        _key, other = _certificate("Someone else's CA")
        key, cert = _certificate(self.host, issuer=(ca_key, ca_cert))
        self.ca_file.write_bytes(_pem(ca_cert))
        self.untrusted_ca_file.write_bytes(_pem(other))
        (folder / "server.pem").write_bytes(_pem(cert))
        key_path = folder / "server.key"
        key_path.write_bytes(_pem(key))
        key_path.chmod(0o600)
        return (
            f"olcTLSCACertificateFile: {self.ca_file}\n"
            f"olcTLSCertificateFile: {folder / 'server.pem'}\n"
            f"olcTLSCertificateKeyFile: {key_path}\n"
        )

    # -- configuration ----------------------------------------------------------------------

    def _config_ldif(self) -> str:
        schemas = "\n".join(
            (SCHEMA_DIR / f"{name}.ldif").read_text().strip() + "\n" for name in SCHEMAS
        )
        return f"""\
dn: cn=config
objectClass: olcGlobal
cn: config
olcPidFile: {self.directory}/slapd.pid
olcArgsFile: {self.directory}/slapd.args
{self._make_certificates() if self.tls else ""}
dn: cn=module{{0}},cn=config
objectClass: olcModuleList
cn: module{{0}}
olcModulePath: {MODULE_DIR}
olcModuleLoad: back_mdb

dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

{schemas}
dn: olcDatabase={{-1}}frontend,cn=config
objectClass: olcDatabaseConfig
objectClass: olcFrontendConfig
olcDatabase: {{-1}}frontend

dn: olcDatabase={{0}}config,cn=config
objectClass: olcDatabaseConfig
olcDatabase: {{0}}config
olcAccess: {{0}}to * by * none

dn: olcDatabase={{1}}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {{1}}mdb
olcSuffix: {SUFFIX}
olcRootDN: {ADMIN_DN}
olcRootPW: {ssha(self.admin_password)}
olcDbDirectory: {self.data_dir}
olcDbMaxSize: 268435456
{"olcDbNoSync: TRUE" + chr(10) if self.nosync else ""}olcDbIndex: objectClass eq
olcDbIndex: uid,mail,cn eq
olcAccess: {{0}}to attrs=userPassword by self write by anonymous auth by * none
olcAccess: {{1}}to * by * read
"""

    def _base_ldif(self) -> str:
        return f"""\
dn: {SUFFIX}
objectClass: dcObject
objectClass: organization
dc: ksu
o: A. Baitursynov Kostanay Regional University

dn: {ADMIN_DN}
objectClass: organizationalRole
cn: admin

dn: {PEOPLE_DN}
objectClass: organizationalUnit
ou: people

dn: {GROUPS_DN}
objectClass: organizationalUnit
ou: groups
"""

    def _slapadd(self, database: int, ldif: str) -> None:
        path = self.directory / f"load-{database}.ldif"
        path.write_text(ldif)
        result = subprocess.run(
            [str(SLAPADD), "-n", str(database), "-F", str(self.config_dir), "-l", str(path)],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise SlapdError(f"slapadd -n{database} failed: {result.stderr.strip()}")

    def _configure(self) -> None:
        self.config_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._slapadd(0, self._config_ldif())
        self._slapadd(1, self._base_ldif())
        self._configured = True

    # -- process ----------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self, timeout: float = 15.0) -> Slapd:
        if self.running:
            return self
        if not self._configured:
            self._configure()
        log = self.log_path.open("ab")
        # -d 0 keeps slapd in the foreground (no fork), so we own the process.
        urls = f"{self.uri}/" + (f" {self.ldaps_uri}/" if self.tls else "")
        self.process = subprocess.Popen(
            [str(SLAPD), "-d", "0", "-F", str(self.config_dir), "-h", urls],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        log.close()
        self._wait_until_answering(timeout)
        return self

    def _wait_until_answering(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        delay = 0.01
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise SlapdError(
                    f"slapd exited with code {self.process.returncode}: {self._log_tail()}"
                )
            try:
                conn = self.connect()
                conn.unbind_s()
                return
            except Exception as exc:  # not answering yet
                last_error = exc
            time.sleep(delay)
            delay = min(delay * 2, 0.2)
        self.stop()
        raise SlapdError(f"slapd did not answer on {self.uri}: {last_error}; {self._log_tail()}")

    def _log_tail(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-2000:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self.process = None

    def kill(self) -> None:
        """SIGKILL, as an OOM kill or a power cut would: no clean shutdown. What the directory
        committed stays (mdb is crash-safe); `start()` brings it back with the same data."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None

    def restart(self) -> Slapd:
        self.stop()
        return self.start()

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)

    # -- data -------------------------------------------------------------------------------

    def connect(self, bind_dn: str | None = None, password: str | None = None):
        """A python-ldap connection, bound as `bind_dn` (the admin by default)."""
        import ldap

        conn = ldap.initialize(self.uri)
        conn.set_option(ldap.OPT_PROTOCOL_VERSION, 3)
        conn.set_option(ldap.OPT_NETWORK_TIMEOUT, 2)
        conn.set_option(ldap.OPT_TIMEOUT, 5)
        if bind_dn is None:
            bind_dn, password = self.admin_dn, self.admin_password
        conn.simple_bind_s(bind_dn, password or "")
        return conn

    def user_dn(self, uid: str) -> str:
        return f"uid={uid},{self.people_dn}"

    def add_user(self, uid: str, password: str, **attrs: str | list[str]) -> str:
        """Add an inetOrgPerson under ou=people and return its DN.

        Attributes default to cn/sn/givenName made from the uid; any LDAP attribute can be given
        as a keyword (givenName="Айгерім", mail="a@ksu.edu.kz").
        """
        from ldap import modlist

        values: dict[str, list[str]] = {
            "objectClass": ["inetOrgPerson", "organizationalPerson", "person", "top"],
            "uid": [uid],
            "cn": [uid],
            "sn": [uid],
            "userPassword": [ssha(password)],
        }
        for key, value in attrs.items():
            values[key] = list(value) if isinstance(value, list | tuple) else [value]
        dn = self.user_dn(uid)
        encoded = {k: [v.encode() for v in vs] for k, vs in values.items()}
        conn = self.connect()
        try:
            conn.add_s(dn, modlist.addModlist(encoded))
        finally:
            conn.unbind_s()
        return dn

    def add_group(self, cn: str, members: list[str]) -> str:
        """Add a groupOfNames under ou=groups with the given member DNs."""
        from ldap import modlist

        dn = f"cn={cn},{self.groups_dn}"
        entry = {
            "objectClass": [b"groupOfNames", b"top"],
            "cn": [cn.encode()],
            "member": [m.encode() for m in members] or [self.admin_dn.encode()],
        }
        conn = self.connect()
        try:
            conn.add_s(dn, modlist.addModlist(entry))
        finally:
            conn.unbind_s()
        return dn

    def delete(self, dn: str) -> None:
        conn = self.connect()
        try:
            conn.delete_s(dn)
        finally:
            conn.unbind_s()


def _certificate(name: str, issuer=None):
    """An EC key and a certificate for `name`: self-signed (a CA) or signed by `issuer`."""
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=2))
    )
    if issuer is None:
        builder = builder.issuer_name(subject).add_extension(
            x509.BasicConstraints(ca=True, path_length=0), critical=True
        )
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=True, key_cert_sign=True, crl_sign=True,
                content_commitment=False, key_encipherment=False, data_encipherment=False,
                key_agreement=False, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )  # fmt: skip
        return key, builder.sign(key, hashes.SHA256())
    ca_key, ca_cert = issuer
    builder = (
        builder.issuer_name(ca_cert.subject)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address(name)), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    )
    return key, builder.sign(ca_key, hashes.SHA256())


def _pem(item) -> bytes:
    from cryptography.hazmat.primitives import serialization

    if hasattr(item, "private_bytes"):
        return item.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    return item.public_bytes(serialization.Encoding.PEM)


def slapd_available() -> bool:
    return SLAPD.exists() and SLAPADD.exists() and os.access(SLAPD, os.X_OK)


@pytest.fixture(scope="session")
def slapd():
    """One running OpenLDAP server per test session (per xdist worker)."""
    if not slapd_available():
        pytest.skip(f"OpenLDAP is not installed ({SLAPD} missing): apt-get install slapd")
    try:
        import ldap  # noqa: F401
    except ImportError:  # pragma: no cover - python-ldap is a main dependency
        pytest.skip("python-ldap is not importable")
    server = Slapd()
    try:
        server.start()
        yield server
    finally:
        server.cleanup()


@pytest.fixture(scope="session")
def tls_slapd():
    """A second server with TLS: StartTLS on `uri`, LDAPS on `ldaps_uri`, CA in `ca_file`."""
    if not slapd_available():
        pytest.skip(f"OpenLDAP is not installed ({SLAPD} missing): apt-get install slapd")
    server = Slapd(tls=True)
    try:
        server.start()
        yield server
    finally:
        server.cleanup()


@pytest.fixture
def running_slapd(slapd):
    """The session's server, started again if an earlier test left it stopped."""
    return slapd.start()
