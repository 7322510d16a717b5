#!/usr/bin/env node
// Finds libtorch the way tch-rs does and prints build settings for native/binding.gyp.
//   1. $LIBTORCH: a folder with include/ and lib/ (a libtorch zip, or a CUDA build);
//   2. LIBTORCH_USE_PYTORCH=1: the libtorch inside Python's torch package;
//   3. otherwise Debian's system paths (package libtorch-dev).
// Usage: node scripts/libtorch.mjs include|libdirs|libs|cflags|describe
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

function fromPython() {
  const python = process.env.PYTHON ?? 'python3';
  const code = [
    'import torch, os',
    'from torch.utils import cpp_extension as c',
    'print(os.path.dirname(torch.__file__))',
    'print(int(torch._C._GLIBCXX_USE_CXX11_ABI))',
  ].join('\n');
  let out;
  try {
    out = execFileSync(python, ['-c', code], { encoding: 'utf8' }).trim().split('\n');
  } catch (e) {
    throw new Error(`LIBTORCH_USE_PYTORCH=1 but '${python} -c "import torch"' failed: ${e.message}`);
  }
  return { root: out[0], abi: out[1] };
}

function locate() {
  if (process.env.LIBTORCH) {
    const root = process.env.LIBTORCH;
    if (!existsSync(join(root, 'include')) || !existsSync(join(root, 'lib'))) {
      throw new Error(`LIBTORCH=${root} must be a folder with include/ and lib/`);
    }
    return { kind: 'LIBTORCH', root, abi: process.env.LIBTORCH_CXX11_ABI ?? '1', system: false };
  }
  if (process.env.LIBTORCH_USE_PYTORCH === '1') {
    const { root, abi } = fromPython();
    return { kind: 'python', root, abi, system: false };
  }
  const multiarch = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib']
    .find((d) => existsSync(join(d, 'libtorch.so')));
  if (!existsSync('/usr/include/torch/csrc/api/include/torch/torch.h') || !multiarch) {
    throw new Error(
      'libtorch not found: install Debian package libtorch-dev (apt-get install libtorch-dev), ' +
        'or set LIBTORCH to a libtorch folder, or LIBTORCH_USE_PYTORCH=1 to use Python torch');
  }
  return { kind: 'system', root: '/usr', libdir: multiarch, abi: '1', system: true };
}

let t;
try {
  t = locate();
} catch (e) {
  console.error(`libtorch.mjs: ${e.message}`);
  process.exit(1);
}
const include = t.system ? '/usr/include' : join(t.root, 'include');
const libdir = t.libdir ?? join(t.root, 'lib');
const includes = [include, join(include, 'torch/csrc/api/include')];
const cuda = existsSync(join(libdir, 'libtorch_cuda.so'));
// c10d's ProcessGroupGloo needs Gloo's headers (Debian libgloo-dev); without them the addon is
// built without the distributed bindings' group, which then report how to get it.
const gloo = includes.some((d) => existsSync(join(d, 'gloo', 'config.h'))) || existsSync('/usr/include/gloo/config.h');
const libs = ['-ltorch', '-ltorch_cpu', '-lc10'];
// CUDA kernels register themselves at load time: keep libtorch_cuda linked although no symbol is used.
if (cuda) libs.unshift('-Wl,--no-as-needed', '-ltorch_cuda', '-lc10_cuda', '-Wl,--as-needed');

const what = process.argv[2];
const out = {
  include: includes,
  libdirs: [libdir],
  libs: [`-L${libdir}`, ...(t.system ? [] : [`-Wl,-rpath,${libdir}`]), ...libs],
  cflags: [`-D_GLIBCXX_USE_CXX11_ABI=${t.abi}`, ...(cuda ? ['-DSELFSUP_CUDA=1'] : []), ...(gloo ? ['-DUSE_C10D_GLOO', '-DSELFSUP_GLOO=1'] : [])],
  describe: [`libtorch from ${t.kind}: ${t.root} (lib ${libdir}, cuda ${cuda ? 'yes' : 'no'}, gloo ${gloo ? 'yes' : 'no'})`],
}[what];
if (!out) {
  console.error('usage: node scripts/libtorch.mjs include|libdirs|libs|cflags|describe');
  process.exit(2);
}
console.log(out.join(' '));
