#!/usr/bin/env bash
# Build the engines' own configuration parsers (lib/formats/parsers/main.go)
# as WebAssembly, from Debian's packages, offline once they are fetched, and
# write them into lib/formats/parsers/wasm.ts (gzip, base64).
#
#   bash scripts/build-parsers.sh          # rebuild lib/formats/parsers/wasm.ts
#   bash scripts/build-parsers.sh --check  # rebuild into a temp dir; exit 1 if the
#                                          # committed module differs (or main.go is
#                                          # not gofmt-formatted)
#
# The packages are pinned (PACKAGES below): the same versions always give the
# same bytes (Go with -trimpath and no build id, wasm-opt, gzip level 9 by the
# pinned Deno). They come from the stable suites (trixie; bookworm's binaryen,
# whose wasm-opt runs on bookworm's glibc), which keep a version until a point
# release. A pinned version that the archive no longer has stops the build with
# one line saying so: then pin what the archive has, rebuild and commit.
#
# The .debs are fetched with `apt-get download` under the private apt
# configuration of fetch-engines.sh (run first; a complete cache is reused) and
# unpacked with `dpkg -x` into $CACHE/parsers; nothing is installed. $CACHE is
# ${RTCONF_ENGINE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rtconf-engines}.
#
# Needs: root (apt-get), bash, apt-get, dpkg, sha256sum, deno.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
CACHE="${RTCONF_ENGINE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rtconf-engines}"
SOURCE="$ROOT/lib/formats/parsers/main.go"
MODULE="$ROOT/lib/formats/parsers/wasm.ts"
GO_VERSION=1.24

# package=version, in the order the module's header names them.
PACKAGES=(
  "golang-$GO_VERSION-go=1.24.4-1"
  "golang-$GO_VERSION-src=1.24.4-1"
  "golang-github-pelletier-go-toml-dev=1.9.5-1"
  "golang-github-pelletier-go-toml.v2-dev=2.2.1-1"
  "golang-github-burntsushi-toml-dev=1.4.0-1"
  "binaryen=108-1"
)

say() { echo "build-parsers: $*" >&2; }
die() {
  say "$*"
  exit 1
}

check=0
case "${1:-}" in
  --check) check=1 ;;
  "") ;;
  *) die "usage: build-parsers.sh [--check]" ;;
esac
for tool in apt-get dpkg sha256sum deno; do
  command -v "$tool" >/dev/null || die "missing tool: $tool"
done

bash "$HERE/fetch-engines.sh"
mkdir -p "$CACHE"
CACHE=$(cd "$CACHE" && pwd -P)
APTCONF="$CACHE/apt/apt.conf"
[[ -s "$APTCONF" ]] || die "$APTCONF is missing: run RTCONF_ENGINE_REFRESH=1 bash scripts/fetch-engines.sh"
WORK="$CACHE/parsers"
DEBS="$WORK/debs"
mkdir -p "$DEBS"
exec {LOCK}>"$WORK/.lock"
flock "$LOCK"
LOG="$WORK/fetch.log"
: >"$LOG"
apt_() { apt-get -c "$APTCONF" -q "$@"; }

# fetch PKG=VERSION: sets DEB to its .deb, downloaded once (the lists are updated once when
# they are stale).
UPDATED=0
fetch() {
  local name="${1%%=*}" version="${1#*=}"
  DEB=$(compgen -G "$DEBS/${name}_${version}_*.deb" | head -n 1 || true)
  [[ -n "$DEB" ]] && return
  if ! (cd "$DEBS" && apt_ download "$1" >>"$LOG" 2>&1); then
    ((UPDATED == 0)) ||
      die "the archive has no $name $version any more (see $LOG): pin the version it has in scripts/build-parsers.sh, rebuild and commit"
    UPDATED=1
    apt_ update >>"$LOG" 2>&1 || true
    fetch "$1"
    return
  fi
  DEB=$(compgen -G "$DEBS/${name}_${version}_*.deb" | head -n 1)
}

# Unpack the pinned packages into one tree, once per set of pins.
pins=$(printf '%s\n' "${PACKAGES[@]}" | sha256sum | cut -c1-16)
TREE="$WORK/tree-$pins"
if [[ ! -e "$TREE/.complete" ]]; then
  rm -rf "$WORK"/tree-*
  mkdir -p "$TREE"
  for package in "${PACKAGES[@]}"; do
    fetch "$package"
    dpkg -x "$DEB" "$TREE"
  done
  : >"$TREE/.complete"
fi

if ((check)) && [[ -n "$("$TREE/usr/lib/go-$GO_VERSION/bin/gofmt" -l "$SOURCE")" ]]; then
  die "lib/formats/parsers/main.go is not gofmt-formatted"
fi

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
mkdir -p "$out/gopath/src/rtconf/parsers"
cp "$SOURCE" "$out/gopath/src/rtconf/parsers/main.go"

# Go in GOPATH mode: the libraries are Debian's /usr/share/gocode, nothing is downloaded.
say "go build ($(head -n 1 "$TREE/usr/lib/go-$GO_VERSION/VERSION"), GOOS=wasip1 GOARCH=wasm)"
(
  cd "$out/gopath/src/rtconf/parsers"
  env -i PATH="$TREE/usr/lib/go-$GO_VERSION/bin:/usr/bin:/bin" HOME="$out" \
    GOROOT="$TREE/usr/lib/go-$GO_VERSION" GOPATH="$out/gopath:$TREE/usr/share/gocode" \
    GOCACHE="$WORK/gocache" GO111MODULE=off GOTOOLCHAIN=local GOENV=off GOFLAGS= \
    GOPROXY=off GOTELEMETRY=off CGO_ENABLED=0 GOOS=wasip1 GOARCH=wasm \
    go build -trimpath -buildmode=c-shared -ldflags="-s -w -buildid=" -o "$out/parsers.wasm" .
)
say "wasm-opt -Oz (binaryen ${PACKAGES[5]#*=})"
LD_LIBRARY_PATH="$TREE/usr/lib/x86_64-linux-gnu:$TREE/usr/lib" "$TREE/usr/bin/wasm-opt" -Oz \
  --enable-sign-ext --enable-nontrapping-float-to-int --enable-bulk-memory --strip-debug \
  --strip-producers "$out/parsers.wasm" -o "$out/parsers.opt.wasm"

target="$MODULE"
((check)) && target="$out/wasm.ts"
deno run --no-config --allow-read --allow-write "$HERE/embed_wasm.ts" "$out/parsers.opt.wasm" \
  "$target" "${PACKAGES[@]}"
if ((check)); then
  if ! cmp -s "$target" "$MODULE"; then
    die "lib/formats/parsers/wasm.ts differs from what lib/formats/parsers/main.go builds to ($(sha256sum <"$out/parsers.opt.wasm" | cut -c1-16)…): run bash scripts/build-parsers.sh and commit"
  fi
  say "lib/formats/parsers/wasm.ts is what lib/formats/parsers/main.go builds to"
else
  say "wrote lib/formats/parsers/wasm.ts ($(wc -c <"$out/parsers.opt.wasm") bytes of WebAssembly)"
fi
