#!/usr/bin/env bash
# `make demo`: validate the sample city, draw it, and show the lab inventory.
set -euo pipefail
cd "$(dirname "$0")/.."
NETOPS=.venv/bin/netops
mkdir -p var
echo "== Sample city: Banjarmasin"
$NETOPS -i inventory/banjarmasin inventory validate
$NETOPS -i inventory/banjarmasin inventory graph --out var/banjarmasin-topology.svg
echo "== Lab inventory"
$NETOPS -i inventory/lab inventory validate
$NETOPS -i inventory/lab inventory show
echo
echo "Open var/banjarmasin-topology.svg to see the city's network (leased Telkom uplinks in red)."
