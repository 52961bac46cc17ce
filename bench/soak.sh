#!/usr/bin/env bash
# Soak: serves the embedded demo on 127.0.0.1 (free ports, data in a
# temporary directory) and drives it with SIPp at a steady rate of IVR
# calls (greeting, 3, opening hours, hang up) for DURATION seconds. Every
# SAMPLE seconds it prints contactd's goroutines, Go heap in use and RSS;
# at the end it compares the last third of the samples with the first
# third (after WARMUP) and says whether either trends upward. Bounded:
# SIPp stops after RATE*DURATION calls, and the script after DURATION plus
# a minute.
#
#   bench/soak.sh                          # 30 minutes at 20 calls/s
#   DURATION=180 RATE=10 bench/soak.sh     # a short one
#
# Needs: go, sipp (sip-tester), curl; root for SIPp's pcap DTMF replay.
set -euo pipefail

DURATION=${DURATION:-1800}
RATE=${RATE:-20}
SAMPLE=${SAMPLE:-30}
WARMUP=${WARMUP:-60}
# How much higher the end may sit than the start before it counts as a
# trend: GC timing alone moves the heap by a few percent.
TOLERANCE_PCT=${TOLERANCE_PCT:-20}

root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d /tmp/contactd-soak.XXXXXX)
pid="" sipp_pid=""
cleanup() {
	[[ -n $sipp_pid ]] && kill "$sipp_pid" 2>/dev/null || true
	if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		sleep 1
		kill -KILL "$pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

for tool in go sipp curl; do
	command -v "$tool" >/dev/null || { echo "soak.sh: $tool not found" >&2; exit 1; }
done

free_port() {
	local p tries=0
	while ((tries++ < 200)); do
		p=$((20000 + RANDOM % 28000))
		if ! ss -Hlnu "sport = :$p" | grep -q . && ! ss -Hlnt "sport = :$p" | grep -q .; then
			echo "$p"
			return
		fi
	done
	echo "soak.sh: no free port found" >&2
	exit 1
}

echo "== machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
(cd "$root" && go build -o "$tmp/contactd" ./cmd/contactd)
sip_port=$(free_port)
http_port=$(free_port)
rtp_base=$((50000 + (RANDOM % 50) * 100))
api="http://127.0.0.1:$http_port"
mkdir -p "$tmp/demo" "$tmp/data"
cp -r "$root/internal/demo/prompts" "$tmp/demo/"
# 127.0.0.1 is trusted: all the load comes from it, and the guard's
# per-address limit is not what is measured.
sed -e "s/listen: 127.0.0.1:5060/listen: 127.0.0.1:$sip_port/" \
	-e "s/listen: 127.0.0.1:8080/listen: 127.0.0.1:$http_port/" \
	-e "s/rtp_ports: 20000-29999/rtp_ports: $rtp_base-$((rtp_base + 9998))/" \
	-e "s|data_dir: ./data|data_dir: $tmp/data|" \
	-e "/^  transports:/a\\  limits: {trusted: [127.0.0.1]}" \
	"$root/internal/demo/contactd.yaml" >"$tmp/demo/contactd.yaml"
"$tmp/contactd" serve -config "$tmp/demo/contactd.yaml" -log-level warn 2>>"$tmp/contactd.log" &
pid=$!
for _ in $(seq 1 100); do
	curl -fsS "$api/healthz" >/dev/null 2>&1 && break
	sleep 0.1
done
curl -fsS "$api/healthz" >/dev/null

metric() { curl -fsS "$api/metrics" | awk -v m="$1" '$1 == m {printf "%.0f\n", $2}'; }
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$pid/status"; }

calls=$((RATE * DURATION))
echo "== $calls calls at $RATE/s for ${DURATION}s; a sample every ${SAMPLE}s"
(cd "$tmp" && timeout $((DURATION + 60)) sipp -sf "$root/bench/testdata/ivr_hours.xml" -s 100 -i 127.0.0.1 \
	-p "$(free_port)" -mp "$(free_port)" -key caller soak -nostdin -timeout $((DURATION + 50))s \
	-r "$RATE" -m "$calls" -l $((RATE * 30)) "127.0.0.1:$sip_port" >/dev/null 2>"$tmp/sipp.err") &
sipp_pid=$!

printf "%8s %8s %10s %12s %10s %8s\n" "seconds" "calls" "goroutines" "heap MiB" "RSS MiB" "active"
start=$(date +%s)
samples_g=() samples_h=() samples_r=()
while kill -0 "$sipp_pid" 2>/dev/null && (($(date +%s) - start < DURATION + 60)); do
	sleep "$SAMPLE"
	now=$(($(date +%s) - start))
	g=$(metric go_goroutines)
	h=$(metric go_memstats_heap_inuse_bytes)
	r=$(rss_kb)
	a=$(metric contactd_sip_active_calls)
	done_calls=$(curl -fsS "$api/metrics" | awk '$1 ~ /^contactd_calls_total/ {s += $2} END {printf "%.0f", s}')
	printf "%8d %8s %10s %12.1f %10.1f %8s\n" "$now" "$done_calls" "$g" "$(echo "$h / 1048576" | bc -l)" "$(echo "$r / 1024" | bc -l)" "$a"
	if ((now >= WARMUP)); then
		samples_g+=("$g") samples_h+=("$h") samples_r+=("$r")
	fi
done
wait "$sipp_pid" 2>/dev/null || true
sipp_pid=""

n=${#samples_g[@]}
if ((n < 3)); then
	echo "soak.sh: too few samples after the warm-up ($n): run longer" >&2
	exit 1
fi
third=$((n / 3))
avg() { local s=0 k; for k in "$@"; do s=$((s + k)); done; echo $((s / $#)); }
verdict=0
for what in g h r; do
	declare -n arr="samples_$what"
	first=$(avg "${arr[@]:0:third}")
	last=$(avg "${arr[@]:n-third:third}")
	limit=$((first + first * TOLERANCE_PCT / 100))
	name=$([[ $what == g ]] && echo goroutines || ([[ $what == h ]] && echo "Go heap" || echo RSS))
	if ((last > limit)); then
		echo "TREND: $name rose from $first to $last (over ${TOLERANCE_PCT}%)"
		verdict=1
	else
		echo "flat: $name $first at the start, $last at the end"
	fi
done
exit "$verdict"
