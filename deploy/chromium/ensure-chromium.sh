#!/usr/bin/env bash
# Make headless Chromium available for the dashboard's browser test
# (adapters/web, TestBrowserRendersDashboard) on a Debian machine.
#
# Idempotent: when a chromium binary is already on PATH it only prints its
# version. Otherwise it installs Debian's `chromium` package, which needs
# root (or sudo) and the Debian package mirrors.
#
# Environment (optional):
#   LORE_CHROMIUM  a browser binary to use instead of the one on PATH
set -Eeuo pipefail

find_browser() {
	if [[ -n "${LORE_CHROMIUM:-}" && -x "${LORE_CHROMIUM}" ]]; then
		echo "${LORE_CHROMIUM}"
		return 0
	fi
	for name in chromium chromium-browser; do
		if command -v "$name" >/dev/null 2>&1; then
			command -v "$name"
			return 0
		fi
	done
	return 1
}

if browser="$(find_browser)"; then
	echo "chromium: $("$browser" --version 2>/dev/null || echo "$browser")"
	exit 0
fi

SUDO=""
if [[ "$(id -u)" -ne 0 ]]; then
	if ! command -v sudo >/dev/null 2>&1; then
		echo "ensure-chromium: chromium is missing and installing it needs root; run: apt-get install -y chromium" >&2
		exit 1
	fi
	SUDO="sudo"
fi

export DEBIAN_FRONTEND=noninteractive
echo "ensure-chromium: installing Debian's chromium package"
if ! $SUDO apt-get install -y --no-install-recommends chromium; then
	# The package lists may be stale or absent on a fresh machine.
	$SUDO apt-get update
	$SUDO apt-get install -y --no-install-recommends chromium
fi

browser="$(find_browser)" || { echo "ensure-chromium: chromium installed but not on PATH" >&2; exit 1; }
echo "chromium: $("$browser" --version 2>/dev/null || echo "$browser")"
