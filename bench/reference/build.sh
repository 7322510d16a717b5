#!/usr/bin/env bash
# Builds bench/reference/build/step_libtorch against the libtorch that scripts/libtorch.mjs finds
# ($LIBTORCH, LIBTORCH_USE_PYTORCH=1, or Debian's libtorch-dev); does nothing when up to date.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
root=../..
out=build/step_libtorch
where="$(node $root/scripts/libtorch.mjs describe)"
stale=""
if [[ ! -x $out ]]; then stale="not built yet"
elif [[ "$(cat build/.libtorch 2>/dev/null || true)" != "$where" ]]; then stale="libtorch location changed"
else
  for f in step_libtorch.cpp build.sh $root/scripts/libtorch.mjs; do
    if [[ $f -nt $out ]]; then stale="$f changed"; break; fi
  done
fi
[[ -z "$stale" ]] && exit 0

echo "bench/reference: building step_libtorch ($stale; $where)" >&2
mkdir -p build
includes=()
for d in $(node $root/scripts/libtorch.mjs include); do includes+=("-I$d"); done
# shellcheck disable=SC2046 # the flags are meant to split into words
g++ -O2 -std=c++17 -pthread $(node $root/scripts/libtorch.mjs cflags) "${includes[@]}" \
  step_libtorch.cpp -o "$out.tmp" $(node $root/scripts/libtorch.mjs libs)
mv "$out.tmp" "$out"
echo "$where" > build/.libtorch
