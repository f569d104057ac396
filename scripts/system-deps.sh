#!/usr/bin/env bash
# Install the Debian/Ubuntu packages that Python wheels do not bring, when they are missing.
#
#   scripts/system-deps.sh run    what `make run` needs
#   scripts/system-deps.sh test   that, plus what the test suite needs (slapd, chromium)
#
# As root it runs apt-get; otherwise it prints the one command to run and stops. When everything
# is present it only asks dpkg (well under a second).
set -euo pipefail

# python-ldap has no wheels: it builds against libldap2-dev and libsasl2-dev. gettext compiles
# the translation catalogues, nodejs/npm fetch the pinned front-end assets, and the fonts and
# pango libraries are what the PDF renderer (cards, slips) needs.
RUN_PACKAGES=(
  build-essential python3-dev python3-venv libldap2-dev libsasl2-dev
  gettext nodejs npm
  fonts-dejavu-core libpango-1.0-0 libpangoft2-1.0-0
)
# The tests start their own slapd and drive Debian's chromium (never a downloaded browser).
TEST_PACKAGES=(slapd ldap-utils chromium)

case "${1:-run}" in
  run) wanted=("${RUN_PACKAGES[@]}") ;;
  test) wanted=("${RUN_PACKAGES[@]}" "${TEST_PACKAGES[@]}") ;;
  *) echo "usage: $0 run|test" >&2; exit 2 ;;
esac

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "system-deps: not a Debian/Ubuntu system; install by hand: ${wanted[*]}" >&2
  exit 0
fi

# dpkg-query exits 1 when it has never heard of a package: that only means "missing".
installed=$({ dpkg-query -W -f='${Package} ${Status}\n' "${wanted[@]}" 2>/dev/null || true; } \
  | awk '$NF == "installed" {print $1}')
missing=()
for pkg in "${wanted[@]}"; do
  grep -qxF "$pkg" <<<"$installed" && continue
  # Node from another source (e.g. NodeSource's nodejs, which bundles npm) serves as well, and
  # Debian's npm would conflict with it.
  if [[ $pkg == nodejs || $pkg == npm ]] && command -v node >/dev/null && command -v npm >/dev/null; then
    continue
  fi
  # Ubuntu packages Chromium only as a snap: the browser tests then need TIREK_CHROMIUM.
  if [[ $pkg == chromium ]] && ! grep -qx 'ID=debian' /etc/os-release 2>/dev/null; then
    command -v chromium >/dev/null || command -v chromium-browser >/dev/null \
      || echo "system-deps: install Chromium yourself and set TIREK_CHROMIUM to its binary" >&2
    continue
  fi
  missing+=("$pkg")
done

[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -ne 0 ]]; then
  echo "Tirek needs these system packages. Run this once, then the make command again:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi

echo "Installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# slapd: no system directory is wanted (the tests start their own slapd), and no service may
# be started during the install: inside a container or chroot that would hang or fail.
if [[ " ${missing[*]} " == *" slapd "* ]]; then
  echo "slapd slapd/no_configuration boolean true" | debconf-set-selections
fi
if [[ ! -e /usr/sbin/policy-rc.d ]]; then
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
  chmod 755 /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get update -qq
apt-get install -y -q --no-install-recommends \
  -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}"
