#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Fleet deployment files (deploy/Containerfile, deploy/kubernetes/): the
# checks in fleet_check.py, then the ConfigMap's embedded config through
# `ringplane check`. `kubectl --dry-run=client` runs only when kubectl is
# installed AND reaches an API server: client-side dry runs still ask the
# server for its resource types. No container engine is used: the image is
# not built here (see deploy/FLEET.md).
. "$RP_TOP/test/net/lib.sh"
rp_tmpdir tmp

# What `meson install` puts where with the Containerfile's --prefix=/usr
# (configured only, nothing built).
meson setup "$tmp/prefix-usr" "$RP_TOP" --prefix=/usr >"$tmp/setup.log" 2>&1 &&
	meson introspect "$tmp/prefix-usr" --installed >"$tmp/installed.json"
rp_check "meson setup --prefix=/usr (the Containerfile's)" [ $? -eq 0 ] || tail "$tmp/setup.log"
python3 "$RP_TOP/test/deploy/fleet_check.py" "$RP_TOP" "$RINGPLANE" "$tmp/ringplane.yaml" \
	"$tmp/installed.json"
rp_check "manifests, Containerfile and runtime packages (above)" [ $? -eq 0 ]
rp_check "the ConfigMap's config passes ringplane check" \
	"$RINGPLANE" check --quiet "$tmp/ringplane.yaml"

if ! command -v kubectl >/dev/null; then
	echo "skip - kubectl --dry-run=client: kubectl is not installed"
elif ! kubectl version --request-timeout=5s >/dev/null 2>&1; then
	echo "skip - kubectl --dry-run=client: kubectl is installed but reaches no API server"
else
	rp_check "kubectl apply --dry-run=client" \
		kubectl apply --dry-run=client -f "$RP_TOP/deploy/kubernetes/"
fi
rp_done
