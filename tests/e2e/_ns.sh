#!/bin/sh
# Started by tests/e2e/_kit.ts as
#   unshare --mount --propagation private -- sh _ns.sh OVL NSFILE [--log FILE] [--bind SRC DST]... -- CMD [ARG]...
# inside the fresh, private mount namespace that unshare made (its id goes into NSFILE, so the
# caller can find, by pid, what is left in it later): /run becomes an empty tmpfs and
# /etc, /opt and /var/lib overlays whose writes land in OVL/<dir>/upper, so whatever an engine
# creates at its default paths (/run/containerd, /var/lib/containerd, /etc/cni, /opt/containerd)
# never reaches the machine. Then each --bind SRC DST (DST is created in the overlay when
# missing), --log sends stdout and stderr to FILE, and CMD replaces this shell: its pid is the
# one unshare started, and every mount made here dies with the namespace's last process.
set -eu
ovl=$1
readlink /proc/self/ns/mnt >"$2.tmp"
mv "$2.tmp" "$2"
shift 2
mount -t tmpfs -o mode=0755 rtconf-e2e /run
for d in etc opt var/lib; do
  mkdir -p "$ovl/$d/upper" "$ovl/$d/work"
  mount -t overlay -o "lowerdir=/$d,upperdir=$ovl/$d/upper,workdir=$ovl/$d/work" rtconf-e2e "/$d"
done
while [ $# -gt 0 ]; do
  case $1 in
  --log)
    exec >>"$2" 2>&1
    shift 2
    ;;
  --bind)
    mkdir -p "$3"
    mount --bind "$2" "$3"
    shift 3
    ;;
  --)
    shift
    break
    ;;
  *)
    echo "_ns.sh: unknown option $1" >&2
    exit 2
    ;;
  esac
done
exec "$@"
