#!/usr/bin/env bash
# The CUDA check, for a machine with an NVIDIA GPU (docs/cuda.md): on a small Fashion-MNIST subset,
# the paper's chain (pretext train, features, cluster, transfer train, eval, retrievals) once with
# --device cuda and once with --device cpu, timed; then the CUDA stages on the CPU chain's own inputs
# (the same trunk, the same features, the same transfer run), so each stage's result is compared
# with the CPU's on equal footing. Prints the times and the agreement, exits 1 if CUDA is not
# available to libtorch or a result disagrees. About 2,000 images: a few minutes.
#   bash scripts/gpu-check.sh [WORK_DIR]       (default: a fresh temporary folder, kept)
# Environment:
#   LIMIT=N          training images (default 2000; the test split takes N / 2)
#   DEVICES="cpu"    run the chain on the CPU alone (to try the script where there is no GPU)
# Build first (npm run build) against a libtorch with CUDA: LIBTORCH=/path or LIBTORCH_USE_PYTORCH=1
# (docs/install.md); Debian's libtorch is CPU-only.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD

LIMIT=${LIMIT:-2000}
DEVICES=${DEVICES:-cuda cpu}
fail() { echo "gpu-check: $*" >&2; exit 1; }
[[ -f dist/src/cli/main.js && -d native/build ]] || fail "not built: run 'npm run build' (with LIBTORCH set to a CUDA libtorch) first"

echo "== nvidia-smi"
if command -v nvidia-smi >/dev/null; then nvidia-smi || echo "(nvidia-smi failed)"; else echo "nvidia-smi: not found"; fi

echo "== libtorch"
# The engine's own view: the libtorch the addon was built against and the CUDA devices it sees.
node --input-type=module -e "
  const e = await import('$ROOT/dist/src/engine/index.js');
  const b = e.buildInfo();
  console.log('torch ' + b.torchVersion + ', built with CUDA: ' + b.cuda + ', CUDA devices visible: ' + e.cuda.deviceCount());
"
if [[ " $DEVICES " == *" cuda "* ]]; then
  node --input-type=module -e "
    const e = await import('$ROOT/dist/src/engine/index.js');
    try { e.resolveDevice('cuda'); } catch (err) { console.error('gpu-check: ' + err.message); process.exit(1); }
  " || fail "CUDA is not available to libtorch; nothing was run (a CPU-only libtorch: rebuild with LIBTORCH=/path/to/a/CUDA/libtorch npm run build, see docs/install.md)"
fi

W=${1:-$(mktemp -d "${TMPDIR:-/tmp}/selfsup-gpu-check-XXXXXX")}
mkdir -p "$W"
echo "== work folder $W ($LIMIT training images, devices: $DEVICES)"
S() { node "$ROOT/dist/src/cli/main.js" "$@"; }
TIMES="$W/times.tsv"
: > "$TIMES"
# timed STAGE DEVICE command...: runs it quietly (its output in $W/logs), records the seconds.
mkdir -p "$W/logs"
timed() {
  local stage=$1 dev=$2
  shift 2
  local t0 t1 log="$W/logs/$stage-$dev.log"
  t0=$(date +%s.%N)
  if ! "$@" > "$log" 2>&1; then
    cat "$log" >&2
    fail "$stage on $dev failed (log: $log)"
  fi
  t1=$(date +%s.%N)
  printf '%s\t%s\t%s\n' "$stage" "$dev" "$(awk "BEGIN { printf \"%.1f\", $t1 - $t0 }")" | tee -a "$TIMES"
}

echo "== data"
S data prepare fashion-mnist --limit "$LIMIT" --out "$W/train" --quiet
S data prepare fashion-mnist --split test --limit $((LIMIT / 2)) --out "$W/test" --quiet

TRAIN=(--arch alexnet_s --epochs 2 --batch-size 64 --warmup 20 --seed 0 --quiet)
EVAL=(--data "$W/train" --test "$W/test" --epochs 10 --shots 10 --draws 2 --json --quiet)
chain() {
  local d=$1 o="$W/$1"
  mkdir -p "$o"
  timed pretext "$d" S pretext train --task rotation --data "$W/train" --out "$o/pretext" "${TRAIN[@]}" --device "$d"
  timed features "$d" S features --source "model:$o/pretext" --data "$W/train" --out "$o/features.npy" --pool 2x2 --device "$d" --quiet
  timed cluster "$d" S cluster --features "$o/features.npy" --k 10 --pca 64 --labels "$W/train" --out "$o/clusters" --device "$d" --quiet
  timed transfer "$d" S transfer train --clusters "$o/clusters" --data "$W/train" --out "$o/transfer" "${TRAIN[@]}" --device "$d"
  timed eval "$d" S eval all --model "$o/transfer" --out "$o/eval" "${EVAL[@]}" --device "$d"
  timed retrievals "$d" S eval retrievals --model "$o/transfer" --data "$W/train" --out "$o/retrievals" --device "$d" --quiet
}
echo "== the chain on each device (stage, device, seconds)"
for d in $DEVICES; do chain "$d"; done

# The reference: the CPU chain's artifacts (the last device's when cpu is not among them).
REF=cpu
[[ " $DEVICES " == *" cpu "* ]] || REF=${DEVICES##* }
C="$W/cross"
mkdir -p "$C"
echo "== each device on the $REF chain's inputs"
for d in $DEVICES; do
  timed features-same-trunk "$d" S features --source "model:$W/$REF/pretext" --data "$W/train" --out "$C/features-$d.npy" --pool 2x2 --device "$d" --quiet
  timed cluster-same-features "$d" S cluster --features "$W/$REF/features.npy" --k 10 --pca 64 --out "$C/clusters-$d" --device "$d" --quiet
  timed eval-same-run "$d" S eval all --model "$W/$REF/transfer" --out "$C/eval-$d" "${EVAL[@]}" --device "$d"
done

echo "== agreement with $REF"
node --input-type=module - "$W" "$REF" "$DEVICES" <<EOF
const [w, ref, devices] = process.argv.slice(2);
const { readFileSync } = await import('node:fs');
const { readNpy } = await import('$ROOT/dist/src/io/npy.js');
const { adjustedRandIndex } = await import('$ROOT/dist/src/cluster/index.js');
const json = (p) => JSON.parse(readFileSync(p, 'utf8'));
let bad = 0;
const check = (ok, line) => { console.log((ok ? 'ok    ' : 'DIFFER') + '  ' + line); if (!ok) bad++; };
const knn = (dir) => json(dir + '/knn.json').results.knn.results[0].top1;
const linear = (dir) => Object.fromEntries(json(dir + '/linear.json').results.linear.map((h) => [h.name, h.top1]));
for (const d of devices.split(' ').filter((x) => x && x !== ref)) {
  // The same trunk on the same images: the rows differ by float rounding only.
  const a = readNpy(w + '/cross/features-' + d + '.npy').data, b = readNpy(w + '/cross/features-' + ref + '.npy').data;
  let diff = 0, scale = 0;
  for (let i = 0; i < b.length; i++) { diff = Math.max(diff, Math.abs(a[i] - b[i])); scale = Math.max(scale, Math.abs(b[i])); }
  check(diff <= 1e-3 * scale, 'features, one trunk: largest difference ' + diff.toExponential(2) + ' (largest value ' + scale.toFixed(3) + ')');
  // The same features: k-means from the same seed.
  const s = (x) => json(w + '/cross/clusters-' + x + '/summary.json');
  const ia = s(d).inertia, ib = s(ref).inertia;
  const ari = adjustedRandIndex(readNpy(w + '/cross/clusters-' + d + '/assignments.npy').data, readNpy(w + '/cross/clusters-' + ref + '/assignments.npy').data);
  check(Math.abs(ia - ib) <= 0.01 * ib, 'k-means, one features file: inertia ' + ia.toPrecision(7) + ' vs ' + ib.toPrecision(7) + ' (' + (100 * (ia - ib) / ib).toFixed(3) + '%), iterations ' + s(d).iterations + ' vs ' + s(ref).iterations);
  check(ari >= 0.9, 'k-means, one features file: ARI of the two labelings ' + ari.toFixed(4));
  // The same transfer run evaluated: the frozen pass on the device, the probes on the CPU.
  const ka = knn(w + '/cross/eval-' + d), kb = knn(w + '/cross/eval-' + ref);
  check(Math.abs(ka - kb) <= 0.01, 'eval, one run: kNN top-1 ' + (100 * ka).toFixed(2) + '% vs ' + (100 * kb).toFixed(2) + '%');
  const la = linear(w + '/cross/eval-' + d), lb = linear(w + '/cross/eval-' + ref);
  const worst = Math.max(...Object.keys(lb).map((h) => Math.abs(la[h] - lb[h])));
  check(worst <= 0.02, 'eval, one run: linear probes, largest top-1 difference over ' + Object.keys(lb).length + ' heads ' + (100 * worst).toFixed(2) + ' points');
  // Separate chains: trained on each device, so they differ by more than rounding.
  const sum = (x, run) => json(w + '/' + x + '/' + run + '/summary.json');
  for (const run of ['pretext', 'transfer']) {
    const va = sum(d, run).valAccuracy, vb = sum(ref, run).valAccuracy;
    console.log('info    chains: ' + run + ' validation accuracy ' + (100 * va).toFixed(1) + '% (' + d + ') vs ' + (100 * vb).toFixed(1) + '% (' + ref + ')');
  }
  console.log('info    chains: kNN top-1 ' + (100 * knn(w + '/' + d + '/eval')).toFixed(1) + '% (' + d + ') vs ' + (100 * knn(w + '/' + ref + '/eval')).toFixed(1) + '% (' + ref + ')');
}
const others = devices.split(' ').filter((x) => x && x !== ref);
if (others.length === 0) console.log('(one device: nothing to compare with)');
const times = readFileSync(w + '/times.tsv', 'utf8').trim().split('\n').map((l) => l.split('\t'));
const by = (stage, d) => Number(times.find((t) => t[0] === stage && t[1] === d)?.[2]);
const ds = devices.split(' ').filter(Boolean);
console.log('== seconds per stage' + ''.padEnd(3) + ds.map((d) => d.padStart(8)).join('') + (ds.length === 2 ? '  ' + ds[1] + ' / ' + ds[0] : ''));
for (const stage of [...new Set(times.map((t) => t[0]))]) {
  const row = ds.map((d) => by(stage, d));
  const speed = row.length === 2 && row[0] > 0 ? '  ' + (row[1] / row[0]).toFixed(1) + 'x' : '';
  console.log(stage.padEnd(22) + row.map((s) => s.toFixed(1).padStart(8)).join('') + speed);
}
if (bad > 0) { console.error('gpu-check: ' + bad + ' result(s) disagree'); process.exit(1); }
if (others.length > 0) console.log('gpu-check: all results agree');
EOF
