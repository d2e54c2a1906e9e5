#!/usr/bin/env bash
# Installs the Debian packages the build needs and a fresh machine lacks: the arm64 cross compiler
# with its libc (the static C test driver needs libc.a), qemu-user (runs arm64 binaries here, and
# x86 ones on emulated CPUs without AES-NI or AVX), clang and lld (wasm32 target and wasm-ld: the
# browser miner's WebAssembly), chromium (the headless browser tests, driven by playwright-core),
# and for the deployment tests: nginx, haproxy and caddy (real proxies the tests start in temporary
# directories; on a systemd host Debian also starts their default services, which the tests never
# use: the ones installed here are stopped and disabled again), postgresql and redis-server (the
# ledger's and the event stream's real servers, started by the tests as unprivileged users in
# temporary directories; their default services are disabled the same way), openssl (the test CA) and util-linux (prlimit, the fd-limit tests).
# Not systemd: on a machine without it, installing it only for `systemd-analyze verify` drags in an
# init system; test/deploy/unit.test.ts checks the unit's keys itself where systemd-analyze is absent.
# Does nothing when everything is present, so `make` stays quiet and offline on a set-up machine.
set -euo pipefail

missing=()
command -v aarch64-linux-gnu-gcc >/dev/null || missing+=(gcc-aarch64-linux-gnu)
[[ -e /usr/aarch64-linux-gnu/lib/libc.a ]] || missing+=(libc6-dev-arm64-cross)
{ command -v qemu-aarch64 && command -v qemu-x86_64; } >/dev/null || missing+=(qemu-user)
command -v clang >/dev/null || missing+=(clang)
command -v wasm-ld >/dev/null || missing+=(lld)
[[ -x /usr/bin/chromium ]] || missing+=(chromium)
[[ -x /usr/sbin/nginx ]] || missing+=(nginx)
[[ -x /usr/sbin/haproxy ]] || missing+=(haproxy)
[[ -x /usr/bin/caddy ]] || missing+=(caddy)
command -v openssl >/dev/null || missing+=(openssl)
command -v prlimit >/dev/null || missing+=(util-linux)
compgen -G '/usr/lib/postgresql/*/bin/pg_ctl' >/dev/null || missing+=(postgresql)
[[ -x /usr/bin/redis-server ]] || missing+=(redis-server)
((${#missing[@]} == 0)) && exit 0

sudo=()
if ((EUID != 0)); then
  command -v sudo >/dev/null || { echo "apt-deps: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  sudo=(sudo)
fi
echo "apt-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Only the services of packages installed just now: an operator's own nginx is left alone.
if [[ -d /run/systemd/system ]]; then
  for s in nginx haproxy caddy postgresql redis-server; do
    [[ " ${missing[*]} " == *" $s "* ]] && "${sudo[@]}" systemctl disable --now "$s" >/dev/null 2>&1 || true
  done
fi
