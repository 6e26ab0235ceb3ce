#!/usr/bin/env bash
# Installs everything the tests need on a fresh Debian machine, then runs the whole suite:
# lint, type check, artifact freshness, pytest (embedded chain, anvil, brownie scripts).
# .ci/run calls exactly this. Safe to re-run: each step reuses what is already installed.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "system packages (Node.js for solc-js, anvil and js-ipfs; clang + lld for C workers; gcc + GMP for py-libp2p; Redis for the pool; Chromium for the dashboard)"
missing=()
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || missing+=(python3-venv)
command -v clang >/dev/null 2>&1 || missing+=(clang)
command -v wasm-ld >/dev/null 2>&1 || missing+=(lld)
compgen -G '/usr/lib/llvm-*/lib/clang/*/lib/wasi/libclang_rt.builtins-wasm32.a' >/dev/null ||
    missing+=(libclang-rt-14-dev-wasm32)
[ -f /usr/lib/wasm32-wasi/libc.a ] || missing+=(wasi-libc)
# py-libp2p (the swarm) builds fastecdsa from source: a C compiler and GMP's headers.
command -v gcc >/dev/null 2>&1 || missing+=(gcc)
compgen -G '/usr/include/*gmp.h' >/dev/null || compgen -G '/usr/include/*/gmp.h' >/dev/null ||
    missing+=(libgmp-dev)
# The pool's broker. The package does not start Redis; the tests start their own on loopback.
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
python3 -c 'import os, sys, sysconfig
sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))' ||
    missing+=(python3-dev)
# The dashboard's browser tests drive Debian's Chromium (Playwright cannot download browsers
# here). Without --no-install-recommends apt would also upgrade unrelated packages.
browser=()
[ -x /usr/lib/chromium/chromium-headless-shell ] || browser+=(chromium chromium-headless-shell)
if ((${#missing[@]} + ${#browser[@]})); then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    if ((${#missing[@]})); then $sudo apt-get install -y -qq "${missing[@]}"; fi
    if ((${#browser[@]})); then
        $sudo apt-get install -y -qq --no-install-recommends "${browser[@]}"
    fi
fi

step "npm packages (pinned by package-lock.json; postinstall patches js-ipfs, see tools/ipfs)"
# `npm install` rather than `npm ci`: the registry reachable here serves only the linux-amd64
# build among anvil's optional platform packages, so the lock file cannot list the others and
# `npm ci` refuses it as out of sync. With the lock file present, `npm install` installs
# exactly the locked versions and integrity hashes.
npm install --no-audit --no-fund --loglevel=error

step "Python environment .venv (memjit + test tools)"
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q --disable-pip-version-check -e ".[test,train]"

step "Python environment .venv-brownie (eth-brownie pins its own web3 7.16)"
[ -x .venv-brownie/bin/python ] || python3 -m venv .venv-brownie
.venv-brownie/bin/pip install -q --disable-pip-version-check "eth-brownie==1.22.2"
.venv-brownie/bin/pip install -q --disable-pip-version-check --no-deps -e .

step "lint (ruff) and type check (mypy)"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy

step "committed contract artifacts are current"
.venv/bin/memjit compile --check

step "dashboard page: the committed bundle is current, its TypeScript type-checks"
npm run --silent check:web

step "tests"
# Powers of tau for the snarkjs cross-checks: generated locally once, kept between runs.
export MEMJIT_PTAU_DIR="${MEMJIT_PTAU_DIR:-$PWD/.cache/ptau}"
MEMJIT_REQUIRE_ALL=1 MEMJIT_BROWNIE="$PWD/.venv-brownie/bin/brownie" .venv/bin/python -m pytest "$@"
