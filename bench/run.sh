#!/bin/sh
# Runs every benchmark program in BUILD/bench, each with no arguments,
# scan_bench first; collects their Markdown (stdout) into
# BUILD/bench-results.md and prints it.  Progress goes to stderr.
# Exit status: that of the first benchmark that failed, else 0.
# Speed is reported, never asserted: a missed target does not fail the run.
B=${1:-build}
out=$B/bench-results.md
tmp=$out.tmp
status=0

if [ ! -d "$B/bench" ]; then
	echo "bench/run.sh: no $B/bench: build first (make bench)" >&2
	exit 2
fi

{
	echo "# pagewatch benchmarks"
	echo
	echo "Run by bench/run.sh on $(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -n)."
	echo "Ratios against the kernel's own mechanism, measured in the same run,"
	echo "are the result; absolute times are noise."
} >"$tmp"

run() {	# program
	prog=$1
	name=${prog##*/}
	echo "bench/run.sh: $name ..." >&2
	start=$(date +%s)
	echo >>"$tmp"
	"$prog" >>"$tmp"
	rc=$?
	echo "bench/run.sh: $name: exit $rc, $(($(date +%s) - start)) s" >&2
	if [ "$rc" -ne 0 ]; then
		printf '\n**%s failed (exit %d).**\n' "$name" "$rc" >>"$tmp"
		[ "$status" -eq 0 ] && status=$rc
	fi
}

[ -x "$B/bench/scan_bench" ] && run "$B/bench/scan_bench"
for prog in "$B"/bench/*; do
	if [ -f "$prog" ] && [ -x "$prog" ] && [ "${prog##*/}" != scan_bench ]; then
		run "$prog"
	fi
done

mv "$tmp" "$out"
cat "$out"
exit "$status"
