#!/bin/sh
# Runs every program in BUILD/bench: scan_bench first, then watch_bench,
# then the other benchmarks, and the chart program (svg) last.  Every
# *_bench gets --csv BUILD/bench-NAME.csv (scan, watch, cost ...); svg
# draws BUILD/bench-*.svg from those files.  The Markdown of all of them
# (stdout), under an environment table (cost_bench --env: CPU, kernel, VM
# or bare metal, THP, the kernel features pw_probe finds), goes to
# BUILD/bench-results.md, which is printed.  Progress goes to stderr.
#
# With PW_BENCH_RESULTS=DIR, a complete run also copies them (the charts,
# bench-results.md and the CSVs) to DIR: PW_BENCH_RESULTS=bench/results
# refreshes the committed results that BENCHMARKS.md quotes and links to
# (then update BENCHMARKS.md).  Never for a sanitizer build.
#
# Exit status: that of the first program that failed, else 0.
# Speed is reported, never asserted: a missed target does not fail the run.
B=${1:-build}
out=$B/bench-results.md
tmp=$out.tmp
status=0
results=${PW_BENCH_RESULTS:-}
t0=$(date +%s)

if [ ! -d "$B/bench" ]; then
	echo "bench/run.sh: no $B/bench: build first (make bench)" >&2
	exit 2
fi

# Another benchmark running at the same time skews every figure: say so.
busy=$(pgrep -x 'scan_bench|watch_bench|cost_bench' 2>/dev/null | tr '\n' ' ')
if [ -n "$busy" ]; then
	echo "bench/run.sh: warning: benchmarks already running, pids $busy" >&2
fi

# Stale CSVs must not be drawn as this run's.
rm -f "$B"/bench-*.csv "$B"/bench-*.svg

{
	echo "# pagewatch benchmarks"
	echo
	echo "Run by bench/run.sh on $(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -n);"
	echo "load average at the start: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)${busy:+; **other benchmarks were running (pids $busy)**}."
	echo "Ratios against the kernel's own mechanism, measured in the same run,"
	echo "are the result; absolute times are noise."
	echo
	if [ -x "$B/bench/cost_bench" ]; then
		"$B/bench/cost_bench" --env
	fi
} >"$tmp"

run() {	# program [arguments]
	prog=$1
	shift
	name=${prog##*/}
	echo "bench/run.sh: $name ..." >&2
	start=$(date +%s)
	echo >>"$tmp"
	"$prog" "$@" >>"$tmp"
	rc=$?
	echo "bench/run.sh: $name: exit $rc, $(($(date +%s) - start)) s" >&2
	if [ "$rc" -ne 0 ]; then
		printf '\n**%s failed (exit %d).**\n' "$name" "$rc" >>"$tmp"
		[ "$status" -eq 0 ] && status=$rc
	fi
}

bench() {	# program: a benchmark, with its CSV
	name=${1##*/}
	run "$1" --csv "$B/bench-${name%_bench}.csv"
}

[ -x "$B/bench/scan_bench" ] && bench "$B/bench/scan_bench"
[ -x "$B/bench/watch_bench" ] && bench "$B/bench/watch_bench"
for prog in "$B"/bench/*; do
	if [ ! -f "$prog" ] || [ ! -x "$prog" ]; then
		continue
	fi
	case ${prog##*/} in
	scan_bench|watch_bench|svg) ;;
	*_bench) bench "$prog" ;;
	*) run "$prog" ;;
	esac
done
[ -x "$B/bench/svg" ] && run "$B/bench/svg" --out "$B" --cost "$B/bench-cost.csv" \
	--watch "$B/bench-watch.csv"

printf '\nbench/run.sh: every program took %d s in all.\n' "$(($(date +%s) - t0))" >>"$tmp"
mv "$tmp" "$out"

if [ -n "$results" ] && [ -z "${PAGEWATCH_SANITIZE:-}" ] && [ "$status" -eq 0 ]; then
	mkdir -p "$results" &&
	cp "$out" "$B"/bench-*.csv "$B"/bench-*.svg "$results"/ 2>/dev/null
	echo "bench/run.sh: results copied to $results/" >&2
fi
cat "$out"
exit "$status"
