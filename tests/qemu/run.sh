#!/usr/bin/env bash
# make check-qemu: the whole test suite on Debian 12's stock kernel (6.1:
# soft-dirty, sync userfaultfd write-protect, no PAGEMAP_SCAN, no WP_ASYNC)
# booted under QEMU with software emulation.  Statically linked tests in a
# busybox initramfs; results on the serial console; the last line is the
# suite's "N passed, N failed, N skipped".  Exit status 0 only when the
# suite ran to its end and nothing failed.
#
# Needs qemu-system-x86, busybox-static, cpio and the kernel package
# linux-image-cloud-amd64; installs them with apt-get when run as root, and
# keeps the kernel under build/qemu.
set -euo pipefail
cd "$(dirname "$0")/../.."
Q=build/qemu
S=build/static
TIMEOUT=${QEMU_TIMEOUT:-1500}
mkdir -p "$Q"

need() {	# command package
	command -v "$1" >/dev/null 2>&1 && return 0
	if [ "$(id -u)" -ne 0 ]; then
		echo "check-qemu: $1 is missing; install $2" >&2
		exit 1
	fi
	if [ ! -e "$Q/.apt-updated" ]; then
		apt-get update -qq && touch "$Q/.apt-updated"
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
}
need qemu-system-x86_64 qemu-system-x86
need cpio cpio
# The busybox of the initramfs must be static: Debian's busybox-static.
if ! dpkg -s busybox-static >/dev/null 2>&1; then
	need __none__ busybox-static
fi
BUSYBOX=/bin/busybox

# The kernel: Debian's cloud image of the stock 6.1 kernel.
if [ ! -e "$Q/vmlinuz" ]; then
	[ -e "$Q/.apt-updated" ] || { apt-get update -qq && touch "$Q/.apt-updated"; }
	pkg=$(apt-cache depends linux-image-cloud-amd64 | awk '/Depends: linux-image-/ {print $2; exit}')
	[ -n "$pkg" ] || { echo "check-qemu: no linux-image-cloud-amd64 package" >&2; exit 1; }
	(cd "$Q" && rm -f ./*.deb && apt-get download -qq "$pkg" 2>/dev/null)
	rm -rf "$Q/kernel" && dpkg-deb -x "$Q"/linux-image-*.deb "$Q/kernel"
	cp "$Q"/kernel/boot/vmlinuz-* "$Q/vmlinuz"
	rm -rf "$Q/kernel" "$Q"/*.deb
fi

# Static test programs, built apart from the normal build.
make -s B="$S" EXE_LDFLAGS=-static tests >/dev/null

root=$Q/root
rm -rf "$root"
mkdir -p "$root"/{bin,proc,sys,dev,tmp,tests} "$root/build/tests" "$root/build/bench"
cp "$BUSYBOX" "$root/bin/busybox"
for t in "$S"/tests/*; do cp "$t" "$root/build/tests/"; done
cp "$S/pagewatch" "$root/build/"
for b in "$S"/bench/*; do [ -x "$b" ] && cp "$b" "$root/build/bench/"; done
cp tests/run.sh "$root/tests/run.sh"
mkdir -p "$root/fuzz" && cp -r fuzz/corpus "$root/fuzz/"
cat > "$root/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
mount -t tmpfs tmp /tmp
echo madvise > /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null
# Software emulation is slow: shorter stress and fewer random queries.
export PW_STRESS_SECONDS=3 PW_DIFF_QUERIES=2000 PW_TEST_TIMEOUT=600
echo "== pagewatch test suite on kernel $(uname -r)"
cd / && sh tests/run.sh build
echo "== exit status $?"
poweroff -f
INIT
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$Q/initrd.gz"

log=$Q/console.log
timeout "$TIMEOUT" qemu-system-x86_64 -accel tcg -cpu max -smp 2 -m 2048 \
	-nographic -no-reboot -kernel "$Q/vmlinuz" -initrd "$Q/initrd.gz" \
	-append "console=ttyS0 quiet panic=-1 transparent_hugepage=madvise" \
	</dev/null 2>&1 | tr -d '\r' | tee "$log" | grep -v '^\[' || true

summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$log" | tail -n 1)
kernel=$(grep -ao '== pagewatch test suite on kernel .*' "$log" | head -n 1)
[ -n "$kernel" ] || { echo "check-qemu: the VM did not start the suite" >&2; exit 1; }
echo "check-qemu: ${kernel#== }"
[ -n "$summary" ] || { echo "check-qemu: the suite did not finish (see $log)" >&2; exit 1; }
echo "$summary"
case $summary in
*" 0 failed,"*) exit 0 ;;
*) exit 1 ;;
esac
