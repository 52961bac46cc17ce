#!/usr/bin/env bash
# Runs contactd's whole test suite, installing what the tests need first:
# Debian packages for the real SIP peers, prompts, PostgreSQL, promtool (to
# check /metrics), Chromium (the pages' browser tests) and sipvicious (scans),
# and the Go modules.
# Usage: scripts/test.sh [extra go test flags]
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then
	export PATH="$PATH:/usr/local/go/bin"
fi
command -v go >/dev/null 2>&1 || { echo "test.sh: Go is not installed (https://go.dev/doc/install)" >&2; exit 1; }

# The store tests run on PostgreSQL too (internal/store/storetest): on the
# local cluster unless CONTACTD_TEST_POSTGRES names another server.
local_pg=0
if [ -z "${CONTACTD_TEST_POSTGRES:-}" ]; then
	local_pg=1
	export CONTACTD_TEST_POSTGRES="postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
fi

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

# binary:package pairs the tests drive.
pairs=(sipp:sip-tester baresip:baresip-core espeak-ng:espeak-ng sox:sox promtool:prometheus chromium:chromium svmap:sipvicious)
[ "$local_pg" -eq 0 ] || pairs+=(pg_ctlcluster:postgresql)
need=()
for pair in "${pairs[@]}"; do
	command -v "${pair%%:*}" >/dev/null 2>&1 || need+=("${pair#*:}")
done
if [ ${#need[@]} -gt 0 ]; then
	echo "test.sh: installing ${need[*]}" >&2
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

# Start a stopped local cluster (containers have no systemd to do it), and
# make the test database if it is missing. Failing here only leaves the
# postgres variants to skip (or fail, with CI=true) with the reason.
if [ "$local_pg" -eq 1 ] && command -v pg_ctlcluster >/dev/null 2>&1; then
	if ! pg_isready -q -h 127.0.0.1; then
		version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1 || true)
		echo "test.sh: starting PostgreSQL ${version:-?}" >&2
		$sudo pg_ctlcluster --skip-systemctl-redirect "$version" main start || echo "test.sh: could not start PostgreSQL" >&2
		for _ in $(seq 20); do
			pg_isready -q -h 127.0.0.1 && break
			sleep 0.5
		done
	fi
	if pg_isready -q -h 127.0.0.1; then
		if have=$(psql -h 127.0.0.1 -U postgres -d postgres -Atc "SELECT 1 FROM pg_database WHERE datname = 'test'" 2>&1); then
			[ "$have" = 1 ] || createdb -h 127.0.0.1 -U postgres test || echo "test.sh: could not create database test" >&2
		else
			echo "test.sh: cannot connect to PostgreSQL as postgres: $have" >&2
		fi
	fi
fi

go mod download
go vet ./...
go test -race -count=1 -timeout 25m "$@" ./...
# The queue simulator against Erlang C and Erlang A with millions of calls,
# enough for 2% where feasible (docs/performance.md): minutes, so without
# the race detector, which the run above already applied to this code.
go test -count=1 -timeout 20m -run 'TestSimulatedErlang' ./internal/sim -args -sim.long
