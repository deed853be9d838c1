#!/usr/bin/env bash
# Fetch real container engines from Debian's archive so tests can judge the
# config files rtconf writes:
#   containerd from bookworm (1.6.x), trixie (1.7.x) and sid (2.x),
#   dockerd (docker.io) from sid (falls back to trixie's if sid's cannot run).
#
# The .debs are fetched with `apt-get download` and unpacked with `dpkg -x`;
# nothing is installed. Everything lives in the cache folder
#   ${RTCONF_ENGINE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rtconf-engines}
# and is described by $CACHE/engines.json:
#   {"containerd":{"1.7":{"version":"...","bin":"/abs/.../usr/bin/containerd"}},
#    "dockerd":{"28":{"version":"...","bin":"/abs/.../usr/sbin/dockerd"}}}
# A complete cache is reused without touching the network; set
# RTCONF_ENGINE_REFRESH=1 to fetch again.
#
# apt runs with a private configuration (own sources list, lists, cache and
# status under $CACHE/apt), so the machine's own apt state is left alone. The
# archive URI is read at run time from the machine's apt sources (or from
# RTCONF_DEBIAN_URI); no host name is written here.
#
# Other knobs: RTCONF_DEBIAN_URI (archive URI, e.g. a local mirror),
# RTCONF_ENGINE_KEYRING (keyring to start from; default the system's).
#
# Needs: bash, apt-get, dpkg, dpkg-deb, ldd. Run as root (apt-get wants it).
set -euo pipefail

CACHE="${RTCONF_ENGINE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rtconf-engines}"
MANIFEST="$CACHE/engines.json"
SUMMARY="$CACHE/engines.txt"
APTDIR="$CACHE/apt"
LOG="$APTDIR/last.log"
CONTAINERD_SUITES=(bookworm trixie sid)
DOCKER_SUITES=(sid trixie) # first one whose dockerd runs here wins
ALL_SUITES=(bookworm trixie sid)
SYSTEM_KEYRING="${RTCONF_ENGINE_KEYRING:-/usr/share/keyrings/debian-archive-keyring.gpg}"

# die prints the one-line reason; the flag file keeps the ERR trap from adding
# a second line when die ran inside a command substitution.
DIED_FLAG="${TMPDIR:-/tmp}/fetch-engines.$$.died"
die() {
  echo "fetch-engines: $*" >&2
  : >"$DIED_FLAG"
  exit 1
}
on_err() {
  local rc=$? line=$1 cmd=$2
  [[ -e "$DIED_FLAG" ]] || echo "fetch-engines: failed (exit $rc) at line $line: $cmd" >&2
  exit "$rc"
}
trap 'on_err "$LINENO" "$BASH_COMMAND"' ERR
trap 'rm -f "$DIED_FLAG"' EXIT

# ---------------------------------------------------------------------------
# Fast path: a complete cache is reused as is (no network).
# ---------------------------------------------------------------------------
manifest_bins() {
  grep -o '"bin":"[^"]*"' "$MANIFEST" | sed 's/^"bin":"//; s/"$//'
}

cache_complete() {
  [[ -s "$MANIFEST" && -s "$SUMMARY" ]] || return 1
  local bins b
  bins="$(manifest_bins)" || return 1
  [[ -n "$bins" ]] || return 1
  grep -q '"containerd":{"' "$MANIFEST" || return 1
  grep -q '"dockerd":{"' "$MANIFEST" || return 1
  while IFS= read -r b; do
    [[ -x "$b" ]] || return 1
    "$b" --version >/dev/null 2>&1 || return 1
  done <<<"$bins"
}

if [[ "${RTCONF_ENGINE_REFRESH:-}" != "1" ]] && cache_complete; then
  cat "$SUMMARY" >&2
  exit 0
fi

# ---------------------------------------------------------------------------
# Slow path: fetch.
# ---------------------------------------------------------------------------
echo "fetch-engines: first run (or an incomplete cache): fetching containerd 1.6, 1.7, 2.1 and" \
  "dockerd from Debian into $CACHE; a few minutes; later runs reuse the cache" >&2
[[ "$(id -u)" == "0" ]] || die "must run as root (apt-get download/update need it)"
for tool in apt-get dpkg dpkg-deb ldd; do
  command -v "$tool" >/dev/null 2>&1 || die "missing required tool: $tool"
done
[[ -r "$SYSTEM_KEYRING" ]] || die "keyring $SYSTEM_KEYRING not found (install debian-archive-keyring)"

mkdir -p "$CACHE"
CACHE="$(cd "$CACHE" && pwd -P)" # absolute, so the manifest holds absolute paths
MANIFEST="$CACHE/engines.json"
rm -f "$MANIFEST" # only a finished run writes it back
SUMMARY="$CACHE/engines.txt"
APTDIR="$CACHE/apt"
LOG="$APTDIR/last.log"
ARCH="$(dpkg --print-architecture)"

# Debian archive URI from the machine's own apt sources: deb822 `URIs:` lines
# in /etc/apt/sources.list.d/*.sources, else one-line entries in
# /etc/apt/sources.list{,.d/*.list}. Prefer a URI whose path ends in /debian
# (the main archive, not debian-security or a third-party repo).
find_debian_uri() {
  local uris=() line u f
  shopt -s nullglob
  for f in /etc/apt/sources.list.d/*.sources; do
    while IFS= read -r line; do
      # shellcheck disable=SC2206
      uris+=(${line#*:})
    done < <(grep -iE '^[[:space:]]*URIs:' "$f" || true)
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -r "$f" ]] || continue
    while IFS= read -r line; do
      line="$(sed -E 's/\[[^]]*\]//' <<<"$line")" # drop [options]
      read -r _ u _ <<<"$line"
      [[ -n "${u:-}" ]] && uris+=("$u")
    done < <(grep -E '^[[:space:]]*deb[[:space:]]' "$f" || true)
  done
  shopt -u nullglob
  for u in "${uris[@]}"; do
    if [[ "${u%/}" =~ /debian$ ]]; then
      echo "${u%/}"
      return 0
    fi
  done
  return 1
}

if [[ -n "${RTCONF_DEBIAN_URI:-}" ]]; then
  DEBIAN_URI="${RTCONF_DEBIAN_URI%/}"
else
  DEBIAN_URI="$(find_debian_uri)" ||
    die "no Debian archive URI (…/debian) found in /etc/apt/sources.list{,.d}; set RTCONF_DEBIAN_URI"
fi

# Private apt configuration. The machine's apt.conf(.d) is still read (it may
# carry proxy settings); everything that holds state is redirected here.
mkdir -p "$APTDIR"/{sources.list.d,preferences.d,state/lists/partial,cache/archives/partial,keyring} \
  "$CACHE/debs"
: >"$APTDIR/state/status"
: >"$APTDIR/preferences"
cat >"$APTDIR/apt.conf" <<EOF
Dir::Etc::sourcelist "$APTDIR/sources.list";
Dir::Etc::sourceparts "$APTDIR/sources.list.d";
Dir::Etc::preferences "$APTDIR/preferences";
Dir::Etc::preferencesparts "$APTDIR/preferences.d";
Dir::State "$APTDIR/state";
Dir::State::lists "$APTDIR/state/lists";
Dir::State::status "$APTDIR/state/status";
Dir::Cache "$APTDIR/cache";
Dir::Cache::archives "$APTDIR/cache/archives";
Dir::Cache::pkgcache "$APTDIR/cache/pkgcache.bin";
Dir::Cache::srcpkgcache "$APTDIR/cache/srcpkgcache.bin";
APT::Architecture "$ARCH";
APT::Architectures { "$ARCH"; };
Acquire::Languages "none";
APT::Sandbox::User "root";
#clear APT::Update::Post-Invoke-Success;
#clear APT::Update::Post-Invoke;
EOF

apt_private() {
  apt-get -c "$APTDIR/apt.conf" -q "$@"
}

# Per-suite keyring used in the sources list (signed-by); never trusted=yes.
declare -A KEYRING
for s in "${ALL_SUITES[@]}"; do KEYRING[$s]="$SYSTEM_KEYRING"; done

write_sources() {
  : >"$APTDIR/sources.list"
  for s in "${ALL_SUITES[@]}"; do
    echo "deb [arch=$ARCH signed-by=${KEYRING[$s]}] $DEBIAN_URI $s main" >>"$APTDIR/sources.list"
  done
}

# A suite is verified when apt kept its (signature-checked) InRelease file.
suite_verified() {
  compgen -G "$APTDIR/state/lists/*_dists_${1}_InRelease" >/dev/null
}

update_lists() {
  write_sources
  apt_private update >"$LOG" 2>&1 || true # judged per suite below
}

echo "fetch-engines: updating private apt lists for ${ALL_SUITES[*]} from $DEBIAN_URI" >&2
update_lists
echo "fetch-engines: apt lists: $(du -sh "$APTDIR/state/lists" | cut -f1)" >&2

# Signature trust. The bookworm debian-archive-keyring (2023.3+deb12u*) already
# holds the trixie keys, which also sign sid, so normally every suite verifies
# with the system keyring. Should a suite be signed only by keys newer than the
# installed keyring (e.g. sid after the next release's keys appear), fetch the
# debian-archive-keyring .deb from the newest suite that DID verify: apt checks
# that .deb's hash against that suite's signed Packages index, so its keyrings
# are authenticated by a chain rooted in the system keyring. The suites that
# failed are then verified against that newer keyring. If they still fail, stop.
unverified=()
for s in "${ALL_SUITES[@]}"; do suite_verified "$s" || unverified+=("$s"); done
if ((${#unverified[@]})); then
  donor=""
  for s in sid trixie bookworm; do
    if suite_verified "$s"; then donor="$s"; break; fi
  done
  [[ -n "$donor" ]] ||
    die "apt-get update verified no suite (network or keyring?): $(grep -m1 -E '^(E|W):' "$LOG" || tail -n1 "$LOG")"
  echo "fetch-engines: ${unverified[*]} not verified with the system keyring; using debian-archive-keyring from $donor" >&2
  krdir="$APTDIR/keyring"
  rm -rf "$krdir" && mkdir -p "$krdir/x"
  (cd "$krdir" && apt_private download "debian-archive-keyring/$donor" >>"$LOG" 2>&1) ||
    die "cannot download debian-archive-keyring/$donor (see $LOG)"
  dpkg -x "$krdir"/debian-archive-keyring_*.deb "$krdir/x"
  kr=""
  for cand in "$krdir/x/usr/share/keyrings/debian-archive-keyring.pgp" \
    "$krdir/x/usr/share/keyrings/debian-archive-keyring.gpg"; do
    if [[ -s "$cand" ]]; then kr="$cand"; break; fi
  done
  [[ -n "$kr" ]] || die "debian-archive-keyring/$donor holds no debian-archive-keyring.{pgp,gpg}"
  cp -L "$kr" "$krdir/debian-archive-keyring.gpg"
  for s in "${unverified[@]}"; do KEYRING[$s]="$krdir/debian-archive-keyring.gpg"; done
  update_lists
  for s in "${unverified[@]}"; do
    suite_verified "$s" ||
      die "suite $s cannot be signature-verified even with debian-archive-keyring from $donor (see $LOG)"
  done
fi

# ---------------------------------------------------------------------------
# Download + unpack.
# ---------------------------------------------------------------------------

# download PKG SUITE -> prints the path of the .deb
download() {
  local pkg="$1" suite="$2" dir="$CACHE/debs/$2" ver deb
  mkdir -p "$dir" || return 1
  ver="$(apt_private -o APT::Default-Release="$suite" download --print-uris "$pkg/$suite" 2>>"$LOG" |
    awk '{print $2}' | head -n1)" || true
  [[ -n "$ver" ]] || die "package $pkg not found in $suite (see $LOG)"
  deb="$dir/$ver"
  if [[ ! -s "$deb" ]]; then
    echo "fetch-engines: downloading $pkg ($suite)" >&2
    (cd "$dir" && apt_private download "$pkg/$suite" >>"$LOG" 2>&1) ||
      die "apt-get download $pkg/$suite failed (see $LOG)"
    [[ -s "$deb" ]] && echo "fetch-engines: downloaded $pkg ($suite): $(du -h "$deb" | cut -f1)" >&2
  fi
  [[ -s "$deb" ]] || die "apt-get download $pkg/$suite did not produce $ver"
  echo "$deb"
}

# unpack DEB DEST (fresh)
unpack() {
  rm -rf "$2.tmp" "$2" && mkdir -p "$2.tmp" && dpkg -x "$1" "$2.tmp" && mv "$2.tmp" "$2"
}

json_str() {
  local s="${1//\\/\\\\}"
  printf '"%s"' "${s//\"/\\\"}"
}

declare -A CTD_VER CTD_BIN CTD_SUITE
declare -a CTD_SERIES=()
lines=()

for suite in "${CONTAINERD_SUITES[@]}"; do
  deb="$(download containerd "$suite")"
  ver="$(dpkg-deb -f "$deb" Version)"
  root="$CACHE/containerd-$suite"
  unpack "$deb" "$root"
  bin="$root/usr/bin/containerd"
  [[ -x "$bin" ]] || die "containerd/$suite ($ver) has no usr/bin/containerd"
  out="$("$bin" --version 2>&1)" || die "containerd $ver ($suite) does not run here: $(head -n1 <<<"$out")"
  series="$(sed -E 's/^([0-9]+:)?([0-9]+)\.([0-9]+).*/\2.\3/' <<<"$ver")"
  if [[ -n "${CTD_VER[$series]:-}" ]]; then
    echo "fetch-engines: note: $suite carries containerd $series like ${CTD_SUITE[$series]}; keeping $suite's" >&2
  else
    CTD_SERIES+=("$series")
  fi
  CTD_VER[$series]="$ver"
  CTD_BIN[$series]="$bin"
  CTD_SUITE[$series]="$suite"
done
for series in "${CTD_SERIES[@]}"; do
  lines+=("engines: containerd ${CTD_VER[$series]} (${CTD_SUITE[$series]})")
done

# dockerd: check that it runs on this machine's libc; fetch missing shared
# libraries (the docker.io package's lib* dependencies, this machine's suite
# first) into a side folder and use a wrapper with LD_LIBRARY_PATH if needed.
host_suite="$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")"
try_dockerd() {
  local suite="$1" deb ver root bin missing libroot dep out wrapper
  # errexit does not apply inside `if try_dockerd`: check each step.
  deb="$(download docker.io "$suite")" || return 1
  ver="$(dpkg-deb -f "$deb" Version)" || return 1
  root="$CACHE/docker.io-$suite"
  unpack "$deb" "$root" || return 1
  bin="$root/usr/sbin/dockerd"
  [[ -x "$bin" ]] || die "docker.io/$suite ($ver) has no usr/sbin/dockerd"
  missing="$(ldd "$bin" 2>&1 | awk '/not found/ {print $1}' | sort -u | tr '\n' ' ')"
  if [[ -n "$missing" ]]; then
    echo "fetch-engines: dockerd $ver ($suite) misses shared libraries: $missing; fetching them" >&2
    libroot="$root/libs"
    mkdir -p "$libroot"
    for dep in $(dpkg-deb -f "$deb" Depends Pre-Depends | tr ',|' '\n\n' |
      sed -E 's/\(.*\)//; s/:any//; s/[[:space:]]//g' | grep -E '^lib' | grep -v '^libc6$' | sort -u); do
      local got=""
      for s in "$host_suite" "$suite"; do
        if got="$(download "$dep" "$s" 2>/dev/null)"; then break; fi
        got=""
      done
      if [[ -n "$got" ]]; then dpkg -x "$got" "$libroot" || return 1; fi
    done
    local libpath="" d
    for d in "$libroot"/lib/*-linux-gnu* "$libroot"/usr/lib/*-linux-gnu* "$libroot"/lib "$libroot"/usr/lib; do
      [[ -d "$d" ]] && libpath="${libpath:+$libpath:}$d"
    done
    missing="$(LD_LIBRARY_PATH="$libpath${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" ldd "$bin" 2>&1 | awk '/not found/ {print $1}' | sort -u | tr '\n' ' ')"
    if [[ -n "$missing" ]]; then
      echo "fetch-engines: dockerd $ver ($suite) still misses: $missing" >&2
      return 1
    fi
    wrapper="$CACHE/bin/dockerd-$suite"
    mkdir -p "$CACHE/bin" || return 1
    # PATH: dockerd looks up docker-proxy (userland proxy) next to itself.
    printf '#!/bin/bash\nexport PATH=%q:"$PATH"\nLD_LIBRARY_PATH=%q${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} exec %q "$@"\n' \
      "$root/usr/sbin" "$libpath" "$bin" >"$wrapper" || return 1
    chmod +x "$wrapper" || return 1
    bin="$wrapper"
  fi
  if ! out="$("$bin" --version 2>&1)"; then
    # Typical cause: built against a newer glibc ("GLIBC_2.xx not found").
    echo "fetch-engines: dockerd $ver ($suite) does not run on this machine: $(grep -m1 -E 'GLIBC|error|not found' <<<"$out" || head -n1 <<<"$out")" >&2
    return 1
  fi
  DOCKER_VER="$ver"
  DOCKER_BIN="$bin"
  DOCKER_SUITE="$suite"
}

DOCKER_VER=""
for suite in "${DOCKER_SUITES[@]}"; do
  if try_dockerd "$suite"; then break; fi
  echo "fetch-engines: falling back from docker.io/$suite" >&2
done
[[ -n "$DOCKER_VER" ]] || die "no docker.io from ${DOCKER_SUITES[*]} runs on this machine (see messages above)"
DOCKER_SERIES="$(sed -E 's/^([0-9]+:)?([0-9]+)\..*/\2/' <<<"$DOCKER_VER")"
lines+=("engines: dockerd $DOCKER_VER ($DOCKER_SUITE)")

# ---------------------------------------------------------------------------
# Manifest (written last, atomically: its presence marks a complete cache).
# ---------------------------------------------------------------------------
{
  printf '{"containerd":{'
  sep=""
  for series in "${CTD_SERIES[@]}"; do
    printf '%s%s:{"version":%s,"bin":%s}' "$sep" "$(json_str "$series")" \
      "$(json_str "${CTD_VER[$series]}")" "$(json_str "${CTD_BIN[$series]}")"
    sep=","
  done
  printf '},"dockerd":{%s:{"version":%s,"bin":%s}}}\n' "$(json_str "$DOCKER_SERIES")" \
    "$(json_str "$DOCKER_VER")" "$(json_str "$DOCKER_BIN")"
} >"$MANIFEST.tmp"
printf '%s\n' "${lines[@]}" >"$SUMMARY"
mv "$MANIFEST.tmp" "$MANIFEST"
rm -f "$APTDIR"/cache/*.bin # apt's binary caches (~180 MB) are rebuilt when needed
cat "$SUMMARY" >&2
