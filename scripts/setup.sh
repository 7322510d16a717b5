#!/usr/bin/env bash
# Idempotent set-up: installs what is missing and builds what is stale, then exits.
# Quiet (about a second) when everything is already in place.
#   bash scripts/setup.sh               Debian packages, npm ci, native addon, TypeScript
#   bash scripts/setup.sh --no-install  only build (native addon, TypeScript); never installs
# Environment:
#   LIBTORCH=/path or LIBTORCH_USE_PYTORCH=1   build against another libtorch (see scripts/libtorch.mjs);
#                                              Debian's libtorch-dev is then not required
#   SELFSUP_SETUP_AS_USER=1                    act as if not root (to test that branch)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

install=1
for arg in "$@"; do
  case "$arg" in
    --no-install) install=0 ;;
    *) echo "setup: unknown argument '$arg' (expected --no-install)" >&2; exit 2 ;;
  esac
done

say() { echo "setup: $*"; }
fail() { echo "setup: error: $*" >&2; exit 1; }

is_root=0
if [[ "$(id -u)" == 0 && "${SELFSUP_SETUP_AS_USER:-}" != 1 ]]; then is_root=1; fi

# --- Debian packages ----------------------------------------------------------------
# Build tools for node-gyp come first, only when their commands are missing.
wanted=()
command -v g++ >/dev/null || wanted+=(g++)
command -v make >/dev/null || wanted+=(make)
command -v python3 >/dev/null || wanted+=(python3)
# libgloo-dev: the Gloo headers libtorch's c10d (ProcessGroupGloo) is built against (several processes).
if [[ -z "${LIBTORCH:-}" && "${LIBTORCH_USE_PYTORCH:-}" != 1 ]]; then wanted+=(libtorch-dev libgloo-dev); fi
# chromium: the headless browser the report's test opens report.html in; python3-onnx: the ONNX
# checker the export tests run; python3-torch: PyTorch, which an export test loads the weights
# with and the benchmarks compare with (bench/reference), as python3-sklearn (k-means).
if [[ $install == 1 ]]; then wanted+=(libopenblas0-pthread dataset-fashion-mnist chromium python3-onnx python3-torch python3-sklearn); fi

missing=()
for pkg in "${wanted[@]}"; do
  # "ii " = installed; a removed package with config files left reads "rc ".
  status="$(dpkg-query -W -f='${db:Status-Abbrev}' "$pkg" 2>/dev/null || true)"
  [[ "$status" == "ii "* ]] || missing+=("$pkg")
done

if (( ${#missing[@]} > 0 )); then
  cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y ${missing[*]}"
  if [[ $install == 0 ]]; then
    fail "missing Debian packages: ${missing[*]}. Run 'npm run setup', or: sudo sh -c '$cmd'"
  elif [[ $is_root == 0 ]]; then
    fail "missing Debian packages: ${missing[*]}. Install them with:
  sudo sh -c '$cmd'
then run this again."
  fi
  command -v apt-get >/dev/null || fail "missing packages: ${missing[*]}, and apt-get is not available to install them"
  say "installing Debian packages: ${missing[*]}"
  apt-get update -q >/dev/null || fail "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null \
    || fail "apt-get install ${missing[*]} failed"
fi

# --- npm dependencies ---------------------------------------------------------------
fresh_modules=0
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  if [[ $install == 0 ]]; then
    [[ -d node_modules ]] || fail "node_modules is missing; run 'npm run setup' (or 'npm ci')"
    say "warning: node_modules is older than package-lock.json; run 'npm ci'"
  else
    say "installing npm dependencies (npm ci)"
    # onnxruntime-node's install script would download CUDA files (it reads this variable, or
    # npm's onnxruntime-node-install config); its CPU binaries are in the package itself.
    export ONNXRUNTIME_NODE_INSTALL=skip
    npm ci --no-audit --no-fund --loglevel=error >/dev/null || fail "npm ci failed"
    fresh_modules=1
  fi
fi

# --- native addon -------------------------------------------------------------------
addon=native/build/Release/selfsup_native.node
where="$(node scripts/libtorch.mjs describe)" || fail "cannot locate libtorch (see the message above)"
stale=""
if [[ ! -f "$addon" ]]; then
  stale="not built yet"
elif [[ "$(cat native/build/.libtorch 2>/dev/null || true)" != "$where" ]]; then
  stale="libtorch location changed"
else
  for f in native/src/* native/binding.gyp scripts/libtorch.mjs; do
    if [[ "$f" -nt "$addon" ]]; then stale="$f changed"; break; fi
  done
fi
if [[ -n "$stale" ]]; then
  say "building native addon ($stale; $where)"
  gyp=(rebuild -j "$(nproc 2>/dev/null || echo 2)")
  # Use the headers installed beside node (Debian/NodeSource packages, official tarballs) so that
  # node-gyp does not try to download them.
  prefix="$(dirname "$(dirname "$(node -p process.execPath)")")"
  if [[ -f "$prefix/include/node/node_api.h" ]]; then gyp+=(--nodedir="$prefix"); fi
  log="$(mktemp)"
  if ! (cd native && ../node_modules/.bin/node-gyp "${gyp[@]}") >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    rm -f "$log"
    fail "native addon build failed (full log: cd native && npx node-gyp rebuild)"
  fi
  rm -f "$log"
  echo "$where" > native/build/.libtorch
fi

# --- TypeScript ---------------------------------------------------------------------
# Remove compiled files whose source is gone (a deleted test must not keep running).
if [[ -d dist ]]; then
  while IFS= read -r js; do
    ts="${js#dist/}"; ts="${ts%.js}.ts"
    if [[ ! -f "$ts" ]]; then rm -f "$js" "$js.map" "${js%.js}.d.ts" "${js%.js}.d.ts.map"; fi
  done < <(find dist/src dist/test dist/bench -name '*.js' 2>/dev/null)
fi
# tsc is incremental and fast; it always runs so that type errors are never hidden.
if [[ $fresh_modules == 1 || ! -f dist/.tsbuildinfo ]] \
   || [[ -n "$(find src test bench -newer dist/.tsbuildinfo -name '*.ts' -print -quit 2>/dev/null)" ]] \
   || [[ tsconfig.json -nt dist/.tsbuildinfo ]]; then
  say "compiling TypeScript"
fi
node_modules/.bin/tsc -p . || fail "TypeScript compilation failed (errors above)"
touch dist/.tsbuildinfo # tsc leaves it alone when outputs are unchanged
