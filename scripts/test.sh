#!/usr/bin/env bash
# Runs contactd's whole test suite, installing what the tests need first:
# Debian packages for the real SIP peers and prompts, and the Go modules.
# Usage: scripts/test.sh [extra go test flags]
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then
	export PATH="$PATH:/usr/local/go/bin"
fi
command -v go >/dev/null 2>&1 || { echo "test.sh: Go is not installed (https://go.dev/doc/install)" >&2; exit 1; }

# binary:package pairs the tests drive.
need=()
for pair in sipp:sip-tester baresip:baresip-core espeak-ng:espeak-ng sox:sox; do
	command -v "${pair%%:*}" >/dev/null 2>&1 || need+=("${pair#*:}")
done
if [ ${#need[@]} -gt 0 ]; then
	echo "test.sh: installing ${need[*]}" >&2
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

go mod download
go vet ./...
go test -race -count=1 -timeout 25m "$@" ./...
