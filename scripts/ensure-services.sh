#!/usr/bin/env bash
# Makes sure the local services the integration tests use are running (CI and dev machines).
# Each start command is idempotent; a service that cannot be started leaves its tests skipping with a message.
set -u
have() { command -v "$1" >/dev/null 2>&1; }
if have pg_ctlcluster && ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || echo "warning: PostgreSQL could not be started"
fi
if have mosquitto && ! (exec 3<>/dev/tcp/127.0.0.1/1883) 2>/dev/null; then
  mosquitto -d -c /etc/mosquitto/mosquitto.conf || echo "warning: Mosquitto could not be started"
fi
# Debian packages the tests use as independent peers: socat (pseudo-terminals for the serial transport)
# and oathtool (reference TOTP codes).
install_pkg() {
  have "$1" && return 0
  have apt-get || { echo "warning: $1 unavailable; its tests will skip"; return 0; }
  (apt-get install -y -qq "$2" >/dev/null 2>&1 || (apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq "$2" >/dev/null 2>&1)) ||
    echo "warning: $1 unavailable; its tests will skip"
}
install_pkg socat socat
install_pkg oathtool oathtool
exit 0
