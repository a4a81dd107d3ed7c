#!/bin/sh
# Runs every test program in BUILD/tests.  Tests named scan_* run once per
# scan backend (PAGEWATCH_SCAN=native, then emulated); tests named watch_*
# once per write-watch backend (PAGEWATCH_BACKEND=...).  Exit status of a
# test: 0 pass, 77 skip (it says why on stderr), anything else fail.
# The last line is "N passed, N failed, N skipped".
B=${1:-build}
PW_BUILD=$B
export PW_BUILD
T=${PW_TEST_TIMEOUT:-300}
pass=0 fail=0 skip=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

run() {	# name [VAR backend]
	name=$1 var=${2:-} be=${3:-}
	label=$name${be:+ [$be]}
	if [ -n "$var" ]; then
		env "$var=$be" timeout -k 5 "$T" "$B/tests/$name" >"$log" 2>&1
	else
		timeout -k 5 "$T" "$B/tests/$name" >"$log" 2>&1
	fi
	rc=$?
	case $rc in
	0)  pass=$((pass + 1)); echo "PASS $label" ;;
	77) skip=$((skip + 1)); echo "SKIP $label: $(tail -n 1 "$log")" ;;
	*)  fail=$((fail + 1)); echo "FAIL $label (exit $rc)"; sed 's/^/    /' "$log" | tail -n 30 ;;
	esac
}

for t in "$B"/tests/*; do
	[ -x "$t" ] || continue
	name=${t##*/}
	case $name in
	scan_*)	for be in native emulated; do
			run "$name" PAGEWATCH_SCAN $be
		done ;;
	watch_*) for be in uffd-async uffd-sync soft-dirty mprotect; do
			run "$name" PAGEWATCH_BACKEND $be
		done ;;
	*)	run "$name" ;;
	esac
done
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
