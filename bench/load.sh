#!/usr/bin/env bash
# Load benchmark: builds contactd, serves the embedded demo on 127.0.0.1
# (free ports, data in a temporary directory) and drives it with SIPp.
# Prints three figures:
#   (i)   IVR calls per second sustained: callers hear the greeting, press 3
#         (RFC 4733), hear the opening hours and hang up; the rate rises
#         until calls fail or the call records do not show that path;
#   (ii)  concurrent calls playing prompts until RTP pacing, measured by
#         bench/rtpstat on the receiving side, has p99 error over 5 ms or a
#         packet 20 ms late;
#   (iii) contactd's memory (RSS) and CPU per call, from /proc.
# Every loop is bounded; a full run takes under 10 minutes.
#
#   bench/load.sh                       # everything
#   RATES="5 10" CONCURRENCY="50" bench/load.sh
#
# Needs: go, sipp (sip-tester), curl, jq; root for SIPp's pcap DTMF replay.
set -euo pipefail

RATES=${RATES:-"20 50 100 150 200 300"}         # calls/s, each for STEP_SECONDS
STEP_SECONDS=${STEP_SECONDS:-15}
CONCURRENCY=${CONCURRENCY:-"50 100 200 400 600 800 1000 1200"}
HOLD_SECONDS=${HOLD_SECONDS:-12}               # each listening call, after all have started
PACING_P99_MS=5
LATE_MS=20

root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d /tmp/contactd-load.XXXXXX)
pid=""
cleanup() {
	if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		sleep 1
		kill -KILL "$pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

for tool in go sipp curl jq; do
	command -v "$tool" >/dev/null || { echo "load.sh: $tool not found" >&2; exit 1; }
done

# free_port prints a UDP and TCP port nobody listens on (bounded tries).
free_port() {
	local p tries=0
	while ((tries++ < 200)); do
		p=$((20000 + RANDOM % 28000))   # below contactd's media range
		if ! ss -Hlnu "sport = :$p" | grep -q . && ! ss -Hlnt "sport = :$p" | grep -q .; then
			echo "$p"
			return
		fi
	done
	echo "load.sh: no free port found" >&2
	exit 1
}

echo "== machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== building"
(cd "$root" && go build -o "$tmp/contactd" ./cmd/contactd && go build -o "$tmp/rtpstat" ./bench/rtpstat)

sip_port=$(free_port)
http_port=$(free_port)
rtp_base=$((50000 + (RANDOM % 50) * 100))   # contactd media ports: rtp_base .. rtp_base+9998 (below 65535)
api="http://127.0.0.1:$http_port"

# The embedded demo's config with its prompts, ports moved, media timeout
# long (the listening callers send no RTP), data in the temp dir, and
# 127.0.0.1 trusted by the SIP guard: all load comes from that one address,
# and the point is to measure contactd, not its per-address rate limit.
mkdir -p "$tmp/demo" "$tmp/data"
cp -r "$root/internal/demo/prompts" "$tmp/demo/"
sed -e "s/listen: 127.0.0.1:5060/listen: 127.0.0.1:$sip_port/" \
	-e "s/listen: 127.0.0.1:8080/listen: 127.0.0.1:$http_port/" \
	-e "s/rtp_ports: 20000-29999/rtp_ports: $rtp_base-$((rtp_base + 9998))/" \
	-e "s/rtp_timeout: 30s/rtp_timeout: 1h/" \
	-e "s|data_dir: ./data|data_dir: $tmp/data|" \
	-e "/^  transports:/a\\  limits: {trusted: [127.0.0.1]}" \
	"$root/internal/demo/contactd.yaml" >"$tmp/demo/contactd.yaml"
"$tmp/contactd" check -config "$tmp/demo/contactd.yaml" >/dev/null
# The API wants a token: the demo's (public) admin one.
token=$(sed -n 's/.*{token: *\([^,]*\), *role: admin}.*/\1/p' "$tmp/demo/contactd.yaml" | head -1)

# start_contactd runs a fresh contactd and waits for /healthz.
start_contactd() {
	"$tmp/contactd" serve -config "$tmp/demo/contactd.yaml" -log-level warn 2>>"$tmp/contactd.log" &
	pid=$!
	for _ in $(seq 1 100); do
		curl -fsS "$api/healthz" >/dev/null 2>&1 && break
		kill -0 "$pid" 2>/dev/null || { cat "$tmp/contactd.log" >&2; exit 1; }
		sleep 0.1
	done
	curl -fsS "$api/healthz" >/dev/null
}

stop_contactd() {
	kill -TERM "$pid" 2>/dev/null || true
	for _ in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	pid=""
}

echo "== starting contactd (SIP 127.0.0.1:$sip_port, HTTP $api)"
start_contactd

clk=$(getconf CLK_TCK)
# cpu_ticks: contactd's user+system CPU time so far, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$pid/status"; }

# sipp_run TAG SCENARIO CALLER EXTRA... runs SIPp against contactd and
# writes "successful failed" calls from its statistics to $tmp/TAG.result.
sipp_run() {
	local tag=$1 scenario=$2 caller=$3
	shift 3
	local sp mp
	sp=$(free_port)
	mp=$(free_port)
	(cd "$tmp" && timeout 300 sipp -sf "$root/bench/testdata/$scenario" -s 100 -i 127.0.0.1 -p "$sp" -mp "$mp" \
		-key caller "$caller" -nostdin -timeout 120s -trace_stat -stf "$tmp/$tag.csv" \
		"$@" "127.0.0.1:$sip_port" >/dev/null 2>"$tmp/$tag.err") || true
	if [[ ! -s $tmp/$tag.csv ]]; then
		echo "load.sh: sipp $scenario wrote no statistics:" >&2
		tail -5 "$tmp/$tag.err" >&2
		echo "0 0" >"$tmp/$tag.result"
		return
	fi
	awk -F';' 'NR==1 {for (i=1; i<=NF; i++) col[$i]=i; next}
		END {print $col["SuccessfulCall(C)"]+0, $col["FailedCall(C)"]+0}' "$tmp/$tag.csv" >"$tmp/$tag.result"
}

# metric NAME prints a sample of one of contactd's Prometheus metrics.
metric() { curl -fsS "$api/metrics" | awk -v m="$1" '$1 == m {printf "%.0f\n", $2}'; }

# ivr_ok CALLER WANT prints how many of CALLER's call records show the
# whole path: the main menu entered, digit 3, the menu entered again (the
# hours prompt returns to it). Records are written as calls end: wait up to
# 30 s for WANT of them.
ivr_ok() {
	local n=0 tries=0
	while ((tries++ < 30)); do
		n=$(curl -fsS -H "Authorization: Bearer $token" "$api/api/v1/calls?caller=$1&limit=1000" | jq '[.calls[]
			| select(.ended_at != null)
			| select([.path[] | select(.kind == "enter") | .menu] == ["main", "main"])
			| select([.path[] | select(.kind == "digit") | .value] == ["3"])] | length')
		((${n:-0} >= $2)) && break
		sleep 1
	done
	echo "${n:-0}"
}

echo
echo "== (i) IVR calls per second (each step ${STEP_SECONDS}s of calls; a call lasts about 14.5 s)"
printf "%8s %8s %8s %8s %10s %12s\n" "rate/s" "calls" "ok" "ivr ok" "cpu %" "cpu ms/call"
best_rate=0
for rate in $RATES; do
	calls=$((rate * STEP_SECONDS))
	# One SIPp per 1000 calls, each its own caller: the API lists at most
	# 1000 calls per query.
	procs=$(((calls + 999) / 1000))
	c0=$(cpu_ticks)
	t0=$(date +%s.%N)
	sippers=()
	for j in $(seq 1 "$procs"); do
		# A background subshell would run the EXIT trap too: drop it there.
		(trap - EXIT; sipp_run "ivr$j" ivr_hours.xml "ivr${rate}p$j" -r "$(((rate + procs - 1) / procs))" -m $((calls / procs)) -l $((rate * 20))) &
		sippers+=($!)
	done
	wait "${sippers[@]}"
	t1=$(date +%s.%N)
	c1=$(cpu_ticks)
	ok=0 failed=0 path_ok=0
	for j in $(seq 1 "$procs"); do
		read -r o f <"$tmp/ivr$j.result"
		ok=$((ok + o)) failed=$((failed + f))
		path_ok=$((path_ok + $(ivr_ok "ivr${rate}p$j" $((calls / procs)))))
	done
	calls=$((calls / procs * procs))
	cpu=$(echo "($c1 - $c0) / $clk" | bc -l)
	elapsed=$(echo "$t1 - $t0" | bc -l)
	printf "%8d %8d %8d %8d %10.1f %12.2f\n" "$rate" "$calls" "$ok" "$path_ok" \
		"$(echo "100 * $cpu / $elapsed" | bc -l)" "$(echo "1000 * $cpu / $calls" | bc -l)"
	if ((failed > 0 || ok < calls || path_ok < calls)); then
		echo "   failures at $rate calls/s ($failed failed in SIPp; $((calls - path_ok)) call records without the whole IVR path 30 s after the step)"
		# One record that missed the path, to say why.
		curl -fsS -H "Authorization: Bearer $token" "$api/api/v1/calls?caller=ivr${rate}p1&limit=1000" | jq -c '[.calls[]
			| select([.path[] | select(.kind == "digit") | .value] != ["3"]
				or [.path[] | select(.kind == "enter") | .menu] != ["main", "main"])][0]
			| {outcome, end_reason, path: [.path[] | [.kind, .menu, .value]]}' | sed 's/^/   e.g. /' || true
		break
	fi
	best_rate=$rate
done
echo "IVR sustained: $best_rate calls/s with no failures"

echo
echo "== (ii)+(iii) concurrent calls playing prompts (pacing measured by rtpstat on kernel timestamps)"
# A fresh process, so the memory baseline is not what phase (i) left behind.
stop_contactd
start_contactd
sleep 2
rss_idle=$(rss_kb)
heap_idle=$(metric go_memstats_heap_alloc_bytes)
gor_idle=$(metric go_goroutines)
printf "idle: RSS %.1f MB, Go heap live %.1f MB, %d goroutines\n" "$(echo "$rss_idle / 1024" | bc -l)" \
	"$(echo "$heap_idle / 1048576" | bc -l)" "$gor_idle"
printf "%7s %7s %5s %7s %7s %7s %8s %6s %7s %8s %9s %9s %9s\n" \
	"calls" "streams" "lost" "p50 ms" "p99 ms" "max ms" "late ms" ">20ms" "RSS MB" "RSS/call" "heap/call" "gor/call" "cpu%/call"
best_conc=0 first_over=0 over=0
for n in $CONCURRENCY; do
	cps=$(((n + 9) / 10))                  # all started within ~10 s
	ramp=$(((n + cps - 1) / cps))
	hold_ms=$(((ramp + HOLD_SECONDS) * 1000)) # every call overlaps the others for HOLD_SECONDS
	rtp_port=$(free_port)
	"$tmp/rtpstat" -listen "127.0.0.1:$rtp_port" -duration $((ramp + HOLD_SECONDS + 3))s >"$tmp/rtpstat.json" &
	rtp_pid=$!
	# Sample memory and CPU while every call is up.
	(
		trap - EXIT
		sleep $((ramp + HOLD_SECONDS / 3))
		a=$(cpu_ticks)
		sleep $((HOLD_SECONDS / 2))
		b=$(cpu_ticks)
		echo "$(rss_kb) $(metric go_memstats_heap_alloc_bytes) $(metric go_goroutines) $a $b $((HOLD_SECONDS / 2))" >"$tmp/sample"
	) &
	sampler=$!
	sipp_run listen listen.xml "listen$n" -key rtp_port "$rtp_port" -r "$cps" -m "$n" -l "$n" -d "$hold_ms"
	read -r ok failed <"$tmp/listen.result"
	wait "$sampler" || true
	wait "$rtp_pid" || true
	read -r rss heap gor a b secs <"$tmp/sample"
	stats=$(cat "$tmp/rtpstat.json")
	p99=$(jq .pacing_p99_ms <<<"$stats")
	late=$(jq .max_late_ms <<<"$stats")
	printf "%7d %7d %5d %7.2f %7.2f %7.2f %8.2f %6d %7.1f %6.1fKB %7.1fKB %9.2f %9.3f\n" "$n" \
		"$(jq .streams <<<"$stats")" "$(jq .lost <<<"$stats")" "$(jq .pacing_p50_ms <<<"$stats")" "$p99" \
		"$(jq .pacing_max_ms <<<"$stats")" "$late" "$(jq .late_over_20ms <<<"$stats")" "$(echo "$rss / 1024" | bc -l)" \
		"$(echo "($rss - $rss_idle) / $n" | bc -l)" "$(echo "($heap - $heap_idle) / 1024 / $n" | bc -l)" \
		"$(echo "($gor - $gor_idle) / $n" | bc -l)" "$(echo "100 * ($b - $a) / $clk / $secs / $n" | bc -l)"
	if ((failed > 0 || ok < n)); then
		echo "   $failed of $n calls failed"
		break
	fi
	# One late packet can be a stall caused by other work on the machine:
	# go on until two steps in a row pass a limit, to show the trend.
	if (($(echo "$p99 > $PACING_P99_MS || $late > $LATE_MS" | bc -l))); then
		((first_over == 0)) && first_over=$n
		((++over >= 2)) && break
		continue
	fi
	over=0
	((first_over == 0)) && best_conc=$n
done
echo "Prompts within pacing limits (p99 <= ${PACING_P99_MS} ms, no packet ${LATE_MS} ms late): $best_conc concurrent calls (first step over a limit: $( ((first_over)) && echo "$first_over calls" || echo none))"
echo "== load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine skews these figures)"
