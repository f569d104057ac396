import ldap
import pytest

from tirek.testing.slapd import Slapd, slapd_available

pytestmark = pytest.mark.integration


def test_base_entries_exist(slapd):
    conn = slapd.connect()
    try:
        found = conn.search_s(slapd.suffix, ldap.SCOPE_ONELEVEL, "(objectClass=organizationalUnit)")
    finally:
        conn.unbind_s()
    # Other tests sharing this server may add branches of their own (e.g. ou=disabled).
    assert {slapd.people_dn, slapd.groups_dn} <= {dn for dn, _ in found}


def test_user_binds_with_own_password_only(slapd):
    dn = slapd.add_user("fixture.bind", "Correct-horse-1", givenName="Айгерім", mail="f@ksu.kz")
    conn = slapd.connect(dn, "Correct-horse-1")
    assert conn.whoami_s() == f"dn:{dn}"
    conn.unbind_s()
    with pytest.raises(ldap.INVALID_CREDENTIALS):
        slapd.connect(dn, "wrong")
    conn = slapd.connect()
    try:
        [(_, attrs)] = conn.search_s(dn, ldap.SCOPE_BASE)
    finally:
        conn.unbind_s()
    assert attrs["givenName"] == ["Айгерім".encode()]


def test_group_and_delete(slapd):
    member = slapd.add_user("fixture.member", "pw-123456")
    group = slapd.add_group("fixture-group", [member])
    conn = slapd.connect()
    try:
        [(_, attrs)] = conn.search_s(group, ldap.SCOPE_BASE)
        assert attrs["member"] == [member.encode()]
    finally:
        conn.unbind_s()
    slapd.delete(member)
    with pytest.raises(ldap.INVALID_CREDENTIALS):
        slapd.connect(member, "pw-123456")


@pytest.mark.skipif(not slapd_available(), reason="slapd is not installed")
def test_stop_and_restart_keep_data_and_port():
    server = Slapd()
    try:
        server.start()
        dn = server.add_user("fixture.restart", "pw-restart-1")
        port = server.port
        server.stop()
        assert not server.running
        with pytest.raises(ldap.SERVER_DOWN):
            server.connect()
        server.restart()
        assert server.port == port
        server.connect(dn, "pw-restart-1").unbind_s()
    finally:
        server.cleanup()
    assert not server.directory.exists()
