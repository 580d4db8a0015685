#!/usr/bin/env bash
# `make demo`: the whole city stack on this machine.
#
#   validate the sample city → start the lab (simulated devices, FRR routers, a hotspot with
#   citizens) → `netops up` (RADIUS, portal, exporter, Prometheus) → push the lab routers'
#   configs (dry run, then commit) → push the RouterOS hotspot gateway's config over the API
#   → log a citizen in through the gateway config that was pushed (the lab gateway plays
#   its RouterOS lab device's state: login.html, walled garden, RADIUS) → check that
#   Prometheus has the lab's metrics → print what to open, and keep running until Ctrl-C.
#
# Environment:
#   DEMO_EXIT=1    stop everything after printing (tests, CI)
#   DEMO_VAR=DIR   state, logs and data (default: var)
#   *_PORT         RADIUS_AUTH_PORT RADIUS_ACCT_PORT RADIUS_METRICS_PORT PORTAL_PORT
#                  EXPORTER_PORT HEALTH_PORT PROMETHEUS_PORT GATEWAY_PORT (default: 1812
#                  1813 9812 8080 9116 9800 9090 8090, or a free port when one is taken)
# Running it again first removes whatever an earlier run left behind.
set -euo pipefail
cd "$(dirname "$0")/.."

NETOPS=${NETOPS:-.venv/bin/netops}
PY=${PY:-.venv/bin/python}
VAR=${DEMO_VAR:-var}
LAB=inventory/lab
BIND=127.0.0.1
DB="sqlite:///$VAR/netops.db"

step() { printf '\n\033[1m== %s\033[0m  [%ss]\n' "$*" "$SECONDS"; }
fail() { printf '\033[31mdemo failed:\033[0m %s\n' "$*" >&2; exit 1; }

# GET a URL; print the body. Exit status 0 only for HTTP 200 (no curl needed).
http_get() {
    "$PY" - "$1" <<'EOF'
import sys, urllib.request
try:
    with urllib.request.urlopen(sys.argv[1], timeout=5) as resp:
        sys.stdout.write(resp.read().decode())
except Exception:
    sys.exit(1)
EOF
}

# Stop `netops up` and the lab if anything of them is left (each netops call costs seconds).
stop_all() {
    if [ -e "$VAR/up.json" ]; then "$NETOPS" up --stop --state-dir "$VAR" || true; fi
    if [ -e "$VAR/lab" ] || ip netns list 2>/dev/null | grep -q '^nxlab-'; then
        "$NETOPS" lab down --lab-dir "$VAR/lab" || true
    fi
}

# The default port if it is free on $BIND (TCP and UDP), else one the kernel picks: a
# machine with Debian's own prometheus or snmp_exporter services already holds 9090, 9116.
free_port() {
    "$PY" - "$BIND" "$1" <<'EOF'
import socket, sys
host, port = sys.argv[1], int(sys.argv[2])
def free(p):
    try:
        with socket.socket() as t, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            t.bind((host, p)); u.bind((host, p))
        return True
    except OSError:
        return False
while not free(port):
    with socket.socket() as s:
        s.bind((host, 0)); port = s.getsockname()[1]
print(port)
EOF
}

# pick NAME DEFAULT: keep $NAME if the caller set it, else DEFAULT when free, else a free one.
pick() {
    local name=$1 default=$2 chosen
    if [ -n "${!name:-}" ]; then return; fi
    chosen=$(free_port "$default")
    [ "$chosen" = "$default" ] || echo "port $default is in use; $name=$chosen"
    printf -v "$name" '%s' "$chosen"
}

# The whole run is one function: bash reads it completely before it starts, so editing
# this file while a demo runs cannot derail the running one.
main() {
if [ "$(id -u)" -ne 0 ]; then
    fail "the lab needs root (network namespaces, SNMP on port 161): run \`sudo make demo\`"
fi
mkdir -p "$VAR/log"

step "Sample city: Banjarmasin"
"$NETOPS" -i inventory/banjarmasin inventory validate
"$NETOPS" -i inventory/banjarmasin inventory graph --out "$VAR/banjarmasin-topology.svg"

step "Removing what an earlier demo left behind (if anything)"
stop_all

# From here on, leaving (Ctrl-C, an error, DEMO_EXIT) stops everything that was started.
trap 'step "Stopping"; stop_all' EXIT
trap 'exit 130' INT TERM

pick RADIUS_AUTH_PORT 1812
pick RADIUS_ACCT_PORT 1813
pick RADIUS_METRICS_PORT 9812
pick PORTAL_PORT 8080
pick EXPORTER_PORT 9116
pick HEALTH_PORT 9800
pick PROMETHEUS_PORT 9090
pick GATEWAY_PORT 8090

step "Lab: simulated devices, FRR routers in namespaces, a hotspot with citizens"
"$NETOPS" lab up -i "$LAB" --lab-dir "$VAR/lab" \
    --radius "$BIND:$RADIUS_AUTH_PORT" --radius-acct-port "$RADIUS_ACCT_PORT" \
    --portal "http://$BIND:$PORTAL_PORT/" --gateway-listen "$BIND:$GATEWAY_PORT"

step "netops up: RADIUS, portal, SNMP exporter and Prometheus under one supervisor"
if [ ! -s "$VAR/admin-token" ]; then
    (umask 077 && "$PY" -c 'import secrets; print(secrets.token_urlsafe(24))' >"$VAR/admin-token")
fi
NETOPS_ADMIN_TOKEN=$(cat "$VAR/admin-token")
export NETOPS_ADMIN_TOKEN
setsid "$NETOPS" up -i "$LAB" --db "$DB" --state-dir "$VAR" --bind "$BIND" \
    --radius-auth-port "$RADIUS_AUTH_PORT" --radius-acct-port "$RADIUS_ACCT_PORT" \
    --radius-metrics-port "$RADIUS_METRICS_PORT" --portal-port "$PORTAL_PORT" \
    --exporter-port "$EXPORTER_PORT" --health-port "$HEALTH_PORT" \
    --prometheus --prometheus-port "$PROMETHEUS_PORT" >"$VAR/log/up.log" 2>&1 &
UP_PID=$!
for _ in $(seq 1 600); do
    if http_get "http://$BIND:$HEALTH_PORT/health" >/dev/null; then break; fi
    kill -0 "$UP_PID" 2>/dev/null || { cat "$VAR/log/up.log" >&2; fail "netops up stopped"; }
    sleep 0.2
done
http_get "http://$BIND:$HEALTH_PORT/health" >/dev/null || {
    cat "$VAR/log/up.log" >&2
    fail "the stack did not become healthy within 2 minutes"
}
grep -v '^[0-9:]* .* \(started\|ready\) ' "$VAR/log/up.log" || true

step "Provisioning: the lab routers' configs, dry run then commit"
"$NETOPS" -i "$LAB" config push --role core --backup-dir "$VAR/backups"
"$NETOPS" -i "$LAB" config push --role core --commit --backup-dir "$VAR/backups"

step "Provisioning: the RouterOS gateway and access point over the API, twice"
# The lab's hotspot gateway plays only what is pushed to its RouterOS lab device, so the
# pushed config names this run's RADIUS and portal ports (the lab inventory's, when free).
PUSHED="$VAR/inventory-lab"
"$PY" -m netops.lab.hotspot_inventory "$LAB" "$PUSHED" --auth-port "$RADIUS_AUTH_PORT" \
    --acct-port "$RADIUS_ACCT_PORT" --portal "http://$BIND:$PORTAL_PORT/"
# Commit-confirm: each device restores its own snapshot unless the push is verified.
"$NETOPS" -i "$PUSHED" config push --site lab-park --commit --backup-dir "$VAR/backups"
"$NETOPS" -i "$PUSHED" config push --site lab-park --commit --backup-dir "$VAR/backups"
"$NETOPS" -i "$PUSHED" config diff --site lab-park

step "A citizen joins the free Wi-Fi through the gateway config netops pushed"
"$NETOPS" lab login -i "$LAB" --lab-dir "$VAR/lab"
"$NETOPS" -i "$LAB" --db "$DB" radius sessions --active --limit 5

step "Prometheus: waiting for the lab's metrics"
QUERY="http://$BIND:$PROMETHEUS_PORT/api/v1/query?query=count%20by%20(device)%20(ifHCInOctets)"
devices=0
for _ in $(seq 1 90); do
    devices=$(http_get "$QUERY" | "$PY" -c \
        'import json,sys; print(len(json.load(sys.stdin)["data"]["result"]))' 2>/dev/null || echo 0)
    [ "$devices" -gt 0 ] && break
    sleep 1
done
[ "$devices" -gt 0 ] || fail "Prometheus has no interface metrics after 90 s (see $VAR/log/)"
echo "Prometheus scrapes interface counters of $devices lab devices."

if [ -e "$VAR/lab/kannel/kannel.conf" ]; then
    SMS_LINE="  SMS sign-up codes     $VAR/lab/kannel/sms.log   (what Kannel's test SMSC received; the codes are only there)"
else
    SMS_LINE="  phone sign-up         off: Kannel is not installed (Debian kannel, kannel-extras)"
fi

cat <<EOF

$(printf '\033[1m')netops demo is running.$(printf '\033[0m') Open:
  phone at the hotspot  http://$BIND:$GATEWAY_PORT/   (redirects to the captive portal)
  captive portal        http://$BIND:$PORTAL_PORT/
  operator console      http://$BIND:$PORTAL_PORT/admin/   token: $VAR/admin-token
  Prometheus            http://$BIND:$PROMETHEUS_PORT/graph?g0.expr=rate(ifHCInOctets%5B1m%5D)*8
  exporter metrics      http://$BIND:$EXPORTER_PORT/snmp?target=127.0.1.3&module=if_mib
  RADIUS metrics        http://$BIND:$RADIUS_METRICS_PORT/metrics
  stack health          http://$BIND:$HEALTH_PORT/health
  city topology         $VAR/banjarmasin-topology.svg
$SMS_LINE
Try: $NETOPS -i $LAB --db $DB radius sessions
     $NETOPS -i $LAB lab login --lab-dir $VAR/lab
Logs: $VAR/log/ and $VAR/lab/log/
EOF

if [ "${DEMO_EXIT:-0}" = "1" ]; then
    exit 0
fi
echo "Press Ctrl-C to stop the demo."
wait "$UP_PID" || true
}

main "$@"
exit
