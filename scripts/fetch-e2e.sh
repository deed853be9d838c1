#!/usr/bin/env bash
# Fetch what the end-to-end tests (tests/e2e/) need besides the engines that
# scripts/fetch-engines.sh fetches (it is run first):
#   docker-cli (sid, else trixie), runc (the newest suite whose runc runs on
#   this machine's glibc), busybox-static (bookworm) for the containers' root
#   file system, golang-k8s-cri-api-dev (sid) for the CRI proto, and podman
#   4.3 (bookworm), 5.4 (trixie), 5.8 (sid) with conmon and netavark.
#
# Nothing is installed: the .debs are fetched with `apt-get download` under the
# private apt configuration of fetch-engines.sh ($CACHE/apt) and unpacked with
# `dpkg -x` into $CACHE/e2e/pkg/<package>_<suite>; the .debs are deleted after.
# A podman that needs shared libraries the machine lacks (or a newer glibc) is
# run from a copy patched with patchelf (bookworm): its interpreter and DT_RPATH
# point at the libraries of its own suite (libc6 included when needed), fetched
# one by one as the loader names them.
#
# $CACHE is ${RTCONF_ENGINE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rtconf-engines},
# the cache of fetch-engines.sh. What was fetched is described by
# $CACHE/e2e/e2e.json (read by tests/e2e/_kit.ts), written last; a complete
# cache is reused without touching the network (RTCONF_ENGINE_REFRESH=1 fetches
# again). Several runs may start at once (deno test --parallel): they take turns
# on a lock. Exit status 1, with one line saying why, when something cannot be
# had: the tests then fail, they do not skip.
#
# Needs: root, bash, apt-get, apt-cache, dpkg, dpkg-deb, flock, getconf.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE="${RTCONF_ENGINE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rtconf-engines}"
PODMAN_SUITES=(bookworm trixie sid)

say() { echo "fetch-e2e: $*" >&2; }
die() {
  say "$*"
  exit 1
}

mkdir -p "$CACHE"
CACHE=$(cd "$CACHE" && pwd -P)
E2E="$CACHE/e2e"
MANIFEST="$E2E/e2e.json"
SUMMARY="$E2E/e2e.txt"
mkdir -p "$E2E"
exec {LOCK}>"$CACHE/.e2e.lock"
flock "$LOCK"

bash "$HERE/fetch-engines.sh"

# --- fast path: every binary of the manifest still runs ------------------------------------
manifest_ok() {
  [[ -s "$MANIFEST" && -s "$SUMMARY" ]] || return 1
  local b
  while IFS= read -r b; do
    [[ -x "$b" ]] && "$b" --version >/dev/null 2>&1 || return 1
  done < <(grep -o '"bin":"[^"]*"' "$MANIFEST" | sed 's/^"bin":"//; s/"$//')
  while IFS= read -r b; do
    [[ -s "$b" ]] || return 1
  done < <(grep -o '"file":"[^"]*"' "$MANIFEST" | sed 's/^"file":"//; s/"$//')
}
if [[ "${RTCONF_ENGINE_REFRESH:-}" != 1 ]] && manifest_ok; then
  cat "$SUMMARY" >&2
  exit 0
fi

say "first run (or an incomplete cache): fetching docker-cli, runc, busybox, podman 4.3, 5.4," \
  "5.8 and what they need from Debian into $E2E; a few minutes; later runs reuse the cache"
[[ $(id -u) == 0 ]] || die "must run as root (apt-get download needs it)"
for tool in apt-get apt-cache dpkg dpkg-deb getconf; do
  command -v "$tool" >/dev/null || die "missing tool: $tool"
done
APTCONF="$CACHE/apt/apt.conf"
[[ -s "$APTCONF" ]] || die "$APTCONF is missing: run RTCONF_ENGINE_REFRESH=1 bash scripts/fetch-engines.sh"
LOG="$E2E/fetch.log"
: >"$LOG"
rm -f "$MANIFEST"
apt_() { apt-get -c "$APTCONF" -q "$@"; }
HOST_GLIBC=$(getconf GNU_LIBC_VERSION | awk '{print $2}')
TRIPLET=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo "$(uname -m)-linux-gnu")

# The private lists may be older than the archive (sid changes daily): a download that fails is
# retried once after `apt-get update`.
UPDATED=0
update_lists() {
  ((UPDATED == 0)) || return 1
  UPDATED=1
  say "updating the private apt lists"
  apt_ update >>"$LOG" 2>&1 || die "apt-get update failed (see $LOG)"
}

# exists NAME SUITE: the package is in SUITE's index.
exists() { apt_ download --print-uris "$1/$2" 2>/dev/null | grep -q "^'"; }

# needs_glibc NAME SUITE: the libc6 version NAME/SUITE depends on ("" when none).
needs_glibc() {
  apt-cache -c "$APTCONF" show "$1/$2" 2>/dev/null |
    sed -nE '/^Depends:/{s/.*[ ,]libc6 \(>= ([^)]+)\).*/\1/p;q}' | head -n1 || true
}

# pkg NAME SUITE: downloads NAME from SUITE and unpacks it (once; with RTCONF_ENGINE_REFRESH=1
# again when the suite has another version now); prints the directory.
pkg() {
  local name=$1 suite=$2 dir="$E2E/pkg/$1_$2" debs="$E2E/debs" deb want
  if [[ "${RTCONF_ENGINE_REFRESH:-}" == 1 && -e "$dir/.version" ]]; then
    want=$(apt_ download --print-uris "$name/$suite" 2>/dev/null | awk '{print $2}' | head -n1)
    [[ -z "$want" || "$want" == "$(cat "$dir/.deb" 2>/dev/null)" ]] || rm -rf "$dir"
  fi
  if [[ ! -e "$dir/.version" ]]; then
    mkdir -p "$debs"
    rm -f "$debs"/*.deb
    say "downloading $name ($suite)"
    if ! (cd "$debs" && apt_ download "$name/$suite" >>"$LOG" 2>&1); then
      update_lists || die "apt-get download $name/$suite failed (see $LOG)"
      (cd "$debs" && apt_ download "$name/$suite" >>"$LOG" 2>&1) ||
        die "apt-get download $name/$suite failed (see $LOG)"
    fi
    deb=$(find "$debs" -maxdepth 1 -name '*.deb' | head -n1)
    [[ -s "$deb" ]] || die "apt-get download $name/$suite gave no .deb"
    say "downloaded $name ($suite): $(du -h "$deb" | cut -f1)"
    rm -rf "$dir" "$dir.tmp" && mkdir -p "$dir.tmp"
    dpkg -x "$deb" "$dir.tmp"
    dpkg-deb -f "$deb" Version >"$dir.tmp/.version"
    basename "$deb" >"$dir.tmp/.deb"
    rm -f "$deb"
    mv "$dir.tmp" "$dir"
  fi
  echo "$dir"
}

# runnable NAME RELPATH SUITE...: the first suite whose NAME runs here (`RELPATH --version`);
# suites whose package needs a newer glibc are passed over without a download. Prints
# "SUITE DIR".
runnable() {
  local name=$1 rel=$2 s need dir
  shift 2
  for s in "$@"; do
    need=$(needs_glibc "$name" "$s")
    if [[ -n "$need" ]] && dpkg --compare-versions "$need" gt "$HOST_GLIBC"; then
      say "$name/$s needs glibc $need (here $HOST_GLIBC); passed over"
      continue
    fi
    dir=$(pkg "$name" "$s")
    if "$dir/$rel" --version >/dev/null 2>&1; then
      echo "$s $dir"
      return
    fi
    say "$name/$s does not run here: $("$dir/$rel" --version 2>&1 | head -n1)"
  done
  die "no $name from $* runs on this machine"
}

# lib_packages SONAME: the Debian package names that usually ship SONAME (libfoo.so.3 ->
# libfoo3; libfoo2.so.1 -> libfoo2-1; the t64 variants of trixie and later).
lib_packages() {
  local base=${1%%.so*} ver=${1#*.so.} p
  ver=${ver%%.*}
  base=$(tr '[:upper:]_' '[:lower:]-' <<<"$base")
  case $base in
  libz) p=zlib1g ;;
  *[0-9]) p="$base-$ver" ;;
  *) p="$base$ver" ;;
  esac
  echo "$p ${p}t64"
}

# patched BIN SUITE NAME: BIN when it runs here, else a copy (beside the package, in .patched/)
# whose DT_RPATH names SUITE's libraries the loader asks for, and whose interpreter is SUITE's
# when BIN needs a newer glibc. Prints the binary to use.
patched() {
  local bin=$1 suite=$2 name=$3 out copy patchelf libdirs="" interp="" soname cand got round d
  if "$bin" --version >/dev/null 2>&1; then
    echo "$bin"
    return
  fi
  copy="$(dirname "$bin")/.patched/$(basename "$bin")"
  patchelf=$(pkg patchelf bookworm)/usr/bin/patchelf
  mkdir -p "$(dirname "$copy")"
  for ((round = 0; round < 16; round++)); do
    cp "$bin" "$copy.tmp"
    [[ -z "$interp" ]] || "$patchelf" --set-interpreter "$interp" "$copy.tmp"
    [[ -z "$libdirs" ]] || "$patchelf" --force-rpath --set-rpath "${libdirs#:}" "$copy.tmp"
    mv "$copy.tmp" "$copy"
    if out=$("$copy" --version 2>&1); then
      say "$name/$suite runs from a patched copy: $out"
      echo "$copy"
      return
    fi
    if [[ -z "$interp" ]] && grep -q "GLIBC_[0-9.]*' not found" <<<"$out"; then
      got=$(pkg libc6 "$suite")
      interp=$(find "$got/usr/lib/$TRIPLET" "$got/lib/$TRIPLET" -maxdepth 1 -name 'ld-linux*.so.*' 2>/dev/null | head -n1)
      [[ -n "$interp" ]] || die "libc6/$suite has no dynamic loader"
      libdirs="$libdirs:$(dirname "$interp")"
      say "$name/$suite needs glibc $(needs_glibc "$name" "$suite"): using libc6/$suite"
      continue
    fi
    soname=$(sed -nE 's/.*error while loading shared libraries: ([^:]+):.*/\1/p; s/.*: ([^ :]+\.so[.0-9]*): version .* not found.*/\1/p' <<<"$out" | head -n1)
    soname=${soname##*/}
    [[ -n "$soname" ]] || die "$name/$suite does not run here: $(head -n2 <<<"$out")"
    got=""
    for cand in $(lib_packages "$soname"); do
      if exists "$cand" "$suite"; then
        got=$(pkg "$cand" "$suite")
        break
      fi
    done
    [[ -n "$got" ]] || die "$name/$suite needs $soname; no package $(lib_packages "$soname") in $suite"
    say "$name/$suite needs $soname: ${got##*/}"
    for d in "$got/usr/lib/$TRIPLET" "$got/lib/$TRIPLET"; do
      [[ -d "$d" ]] && libdirs="$libdirs:$d"
    done
  done
  die "$name/$suite: too many missing libraries"
}

json_str() {
  local s=${1//\\/\\\\}
  printf '"%s"' "${s//\"/\\\"}"
}
# entry SUITE DIR KEY PATH: {"version":...,"suite":...,KEY:PATH}
entry() {
  printf '{"version":%s,"suite":%s,"%s":%s}' "$(json_str "$(cat "$2/.version")")" \
    "$(json_str "$1")" "$3" "$(json_str "$4")"
}

lines=()
found=$(runnable docker-cli usr/bin/docker sid trixie)
read -r s dir <<<"$found"
DOCKER_CLI=$(entry "$s" "$dir" bin "$dir/usr/bin/docker")
lines+=("e2e: docker-cli $(cat "$dir/.version") ($s)")

found=$(runnable runc usr/sbin/runc sid trixie bookworm)
read -r s dir <<<"$found"
RUNC=$(entry "$s" "$dir" bin "$dir/usr/sbin/runc")
lines+=("e2e: runc $(cat "$dir/.version") ($s)")

dir=$(pkg busybox-static bookworm)
"$dir/bin/busybox" true || die "busybox-static/bookworm does not run here"
BUSYBOX=$(entry bookworm "$dir" file "$dir/bin/busybox")
lines+=("e2e: busybox-static $(cat "$dir/.version") (bookworm)")

dir=$(pkg golang-k8s-cri-api-dev sid)
proto="$dir/usr/share/gocode/src/k8s.io/cri-api/pkg/apis/runtime/v1/api.proto"
[[ -s "$proto" ]] || die "golang-k8s-cri-api-dev/sid has no k8s.io/cri-api/pkg/apis/runtime/v1/api.proto"
CRI_API=$(entry sid "$dir" file "$proto")
lines+=("e2e: golang-k8s-cri-api-dev $(cat "$dir/.version") (sid)")

found=$(runnable conmon usr/bin/conmon sid trixie bookworm)
read -r s dir <<<"$found"
CONMON=$(entry "$s" "$dir" bin "$dir/usr/bin/conmon")
lines+=("e2e: conmon $(cat "$dir/.version") ($s)")

# podman 5 looks for netavark (its network backend) even with --network=none.
found=$(runnable netavark usr/lib/podman/netavark sid trixie bookworm)
read -r s dir <<<"$found"
NETAVARK=$(entry "$s" "$dir" bin "$dir/usr/lib/podman/netavark")
lines+=("e2e: netavark $(cat "$dir/.version") ($s)")

PODMANS=""
for s in "${PODMAN_SUITES[@]}"; do
  dir=$(pkg podman "$s")
  bin=$(patched "$dir/usr/bin/podman" "$s" podman)
  series=$(sed -E 's/^([0-9]+:)?([0-9]+)\.([0-9]+).*/\2.\3/' "$dir/.version")
  PODMANS+="${PODMANS:+,}$(json_str "$series"):$(entry "$s" "$dir" bin "$bin")"
  lines+=("e2e: podman $(cat "$dir/.version") ($s)$([[ $bin == "$dir/usr/bin/podman" ]] || echo ", patched")")
done

printf '{"dockerCli":%s,"runc":%s,"busybox":%s,"criApi":%s,"conmon":%s,"netavark":%s,"podman":{%s}}\n' \
  "$DOCKER_CLI" "$RUNC" "$BUSYBOX" "$CRI_API" "$CONMON" "$NETAVARK" "$PODMANS" >"$MANIFEST.tmp"
printf '%s\n' "${lines[@]}" >"$SUMMARY"
mv "$MANIFEST.tmp" "$MANIFEST"
rm -f "$CACHE"/apt/cache/*.bin # apt's binary caches are rebuilt when needed
cat "$SUMMARY" >&2
