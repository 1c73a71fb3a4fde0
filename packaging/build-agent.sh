#!/usr/bin/env bash
# Builds strata-agent executables for Linux, one per architecture given (x64, arm64):
#   packaging/build-agent.sh x64 arm64   ->  dist/strata-agent-linux-x64, dist/strata-agent-linux-arm64
# (`npm run build:agent:all`). Each is checked before the script succeeds: its ELF header must
# name the right machine, and it must answer --version: natively when built for this machine's
# architecture, under qemu when a qemu user emulator and the target's libc are installed
# (see emulator_for), else it is only searched for the agent's code.
#
# Cross-compiling: `bun build --compile` puts the code into a copy of the Bun runtime built for
# the target. For this machine's architecture that is the running bun. For the other one, this
# script fetches the npm package @oven/bun-linux-<arch> of exactly the running bun's version with
# `npm pack` (so npm's registry, proxy and CA settings apply and the tarball's integrity is
# checked), keeps its bin/bun under dist/.bun-runtimes/, and hands it to bun with
# --compile-executable-path, so bun itself never downloads anything. Without registry access,
# put a Bun runtime of that version and architecture on disk and name it in
# STRATA_BUN_RUNTIME_LINUX_X64 / STRATA_BUN_RUNTIME_LINUX_ARM64.
set -euo pipefail

cd "$(dirname "$0")/.."
BUN=node_modules/.bin/bun
ENTRY=agent-bun/src/main.ts
RUNTIMES=dist/.bun-runtimes

die() { echo "build-agent: $*" >&2; exit 1; }

[ -x "$BUN" ] || die "no bun at $BUN: run npm install first"
BUN_VERSION=$("$BUN" --version)
case "$(uname -m)" in
  x86_64 | amd64) HOST_ARCH=x64 ;;
  aarch64 | arm64) HOST_ARCH=arm64 ;;
  *) HOST_ARCH=$(uname -m) ;;
esac
[ "$(uname -s)" = Linux ] || HOST_ARCH="not-linux"

# The machine an ELF file is built for, from e_machine (bytes 18-19, little endian): no `file` needed.
elf_machine() {
  local magic machine
  magic=$(od -An -tx1 -N4 "$1" | tr -d ' \n')
  [ "$magic" = 7f454c46 ] || { echo "not-elf"; return; }
  machine=$(od -An -tu2 -j18 -N2 "$1" | tr -d ' \n')
  case "$machine" in 62) echo x64 ;; 183) echo arm64 ;; *) echo "e_machine-$machine" ;; esac
}

# Prints the path of a Bun runtime of BUN_VERSION for linux-<arch>, fetching it if needed.
runtime_for() {
  local arch=$1 pkg var given dir tgz
  case "$arch" in
    x64) pkg=bun-linux-x64 var=STRATA_BUN_RUNTIME_LINUX_X64 ;;
    arm64) pkg=bun-linux-aarch64 var=STRATA_BUN_RUNTIME_LINUX_ARM64 ;;
  esac
  given=${!var:-}
  if [ -n "$given" ]; then
    [ -f "$given" ] || die "$var=$given: no such file"
    [ "$(elf_machine "$given")" = "$arch" ] || die "$var=$given is not a linux-$arch executable"
    echo "$given"; return
  fi
  dir=$RUNTIMES/$pkg-$BUN_VERSION
  if [ ! -f "$dir/bun" ]; then
    mkdir -p "$dir"
    echo "build-agent: fetching the Bun $BUN_VERSION runtime for linux-$arch: npm pack @oven/$pkg@$BUN_VERSION" >&2
    if ! tgz=$(cd "$dir" && npm pack --loglevel=error "@oven/$pkg@$BUN_VERSION" 2>"npm-pack.log" | tail -n 1) || [ ! -f "$dir/$tgz" ]; then
      sed 's/^/  /' "$dir/npm-pack.log" >&2
      die "cannot get the Bun $BUN_VERSION runtime for linux-$arch (npm pack @oven/$pkg@$BUN_VERSION failed: no access to the npm registry?).
  Cross-compiling needs a Bun $BUN_VERSION executable built for linux-$arch. Either give this machine access to
  the npm registry (or a mirror set with npm's 'registry' setting), or copy that executable here (it is
  package/bin/bun in the tarball of @oven/$pkg@$BUN_VERSION) and set $var=/path/to/it."
    fi
    tar -xzf "$dir/$tgz" -C "$dir" package/bin/bun
    mv "$dir/package/bin/bun" "$dir/bun"
    rm -rf "$dir/package" "$dir/$tgz" "$dir/npm-pack.log"
  fi
  echo "$dir/bun"
}

# A qemu user-mode command line that runs linux-<arch> executables here (Debian's qemu-user-static
# plus libc6-<arch>-cross), or nothing: then a cross-built agent is checked without running it.
emulator_for() {
  local qarch triple q
  case "$1" in x64) qarch=x86_64 triple=x86_64-linux-gnu ;; arm64) qarch=aarch64 triple=aarch64-linux-gnu ;; esac
  for q in "qemu-$qarch-static" "qemu-$qarch"; do
    if command -v "$q" >/dev/null && [ -d "/usr/$triple/lib" ]; then echo "$q -L /usr/$triple"; return 0; fi
  done
  return 1
}

build() {
  local arch=$1 out=dist/strata-agent-linux-$1 runtime version qemu
  case "$arch" in x64 | arm64) ;; *) die "unknown architecture '$arch' (expected x64 or arm64)" ;; esac
  local args=(build --compile "--target=bun-linux-$arch" --outfile "$out" "$ENTRY")
  rm -f "$out"
  if [ "$arch" != "$HOST_ARCH" ]; then
    runtime=$(runtime_for "$arch")
    args+=("--compile-executable-path=$runtime")
  fi
  "$BUN" "${args[@]}" || die "bun build for linux-$arch failed"
  [ "$(elf_machine "$out")" = "$arch" ] || die "$out is not a linux-$arch executable (ELF machine: $(elf_machine "$out"))"
  if command -v file >/dev/null; then file "$out"; fi
  if [ "$arch" = "$HOST_ARCH" ]; then
    version=$("./$out" --version) || die "$out --version failed"
    [[ "$version" == "strata-agent "* ]] || die "$out --version printed '$version'"
    echo "build-agent: $out: $version"
  elif qemu=$(emulator_for "$arch"); then
    version=$($qemu "./$out" --version) || die "$out --version under $qemu failed"
    [[ "$version" == "strata-agent "* ]] || die "$out --version printed '$version' under $qemu"
    echo "build-agent: $out: $version (run under $qemu)"
  else
    # It cannot run here; check at least that the agent's code is inside.
    grep -q "strata-agent: fatal" "$out" || die "$out does not contain the agent's code"
    echo "build-agent: $out: built for linux-$arch (not run: no qemu user emulator and $arch libc here)"
  fi
}

[ $# -gt 0 ] || die "usage: packaging/build-agent.sh x64|arm64 ..."
mkdir -p dist
for arch in "$@"; do build "$arch"; done
