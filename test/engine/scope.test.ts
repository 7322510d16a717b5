// Memory scopes: tidy frees what it does not return, keep() protects, dispose() is
// idempotent, and the live tensor/byte counts go back to where they started.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import v8 from 'node:v8';
import vm from 'node:vm';
import { readFileSync } from 'node:fs';
import { tensor, tidy, keep, dispose, scopeDepth, zeros, ones, memory, noGrad, trimNativeHeap, type Tensor } from '../../src/engine/index.js';

const live = () => memory().liveTensors;

test('tidy frees intermediates and keeps the returned tensor', () => {
  const base = live();
  let a!: Tensor, b!: Tensor;
  const c = tidy(() => {
    a = ones([3]);
    b = a.add(1);
    return b.mul(2);
  });
  assert.equal(a.isDisposed, true);
  assert.equal(b.isDisposed, true);
  assert.equal(c.isDisposed, false);
  assert.deepEqual(c.tolist(), [4, 4, 4]);
  assert.equal(live(), base + 1);
  c.dispose();
  assert.equal(live(), base);
});

test('tidy keeps tensors in returned arrays, plain objects and Maps, and passes other values through', () => {
  const base = live();
  let tmp!: Tensor;
  const r = tidy(() => {
    tmp = zeros([2]);
    const x = tmp.add(1);
    return { list: [x, x.add(1)], nested: { y: x.mul(3) }, m: new Map([['z', x.sub(1)]]), n: 7 };
  });
  assert.equal(tmp.isDisposed, true);
  assert.deepEqual(r.list[1]!.tolist(), [2, 2]);
  assert.deepEqual(r.nested.y.tolist(), [3, 3]);
  assert.deepEqual(r.m.get('z')!.tolist(), [0, 0]);
  assert.equal(r.n, 7);
  assert.equal(live(), base + 4);
  dispose(r);
  assert.equal(live(), base);
  assert.equal(tidy(() => 'text'), 'text');
  assert.equal(tidy(() => undefined), undefined);
});

test('nested tidy moves its result to the parent scope, which frees it unless it returns it too', () => {
  const base = live();
  let inner!: Tensor, innerTmp!: Tensor;
  const out = tidy(() => {
    inner = tidy(() => {
      innerTmp = ones([2]);
      return innerTmp.add(1);
    });
    assert.equal(innerTmp.isDisposed, true);
    assert.equal(inner.isDisposed, false);
    assert.equal(scopeDepth(), 1);
    return inner.mul(10);
  });
  assert.equal(inner.isDisposed, true); // the outer scope did not return it
  assert.deepEqual(out.tolist(), [20, 20]);
  assert.equal(scopeDepth(), 0);
  out.dispose();
  assert.equal(live(), base);
});

test('a tensor made outside a scope and returned through nested scopes stays alive', () => {
  const base = live();
  const data = ones([2]); // outside every scope, not kept
  const r = tidy(() => {
    const same = tidy(() => data); // passes through the inner scope
    assert.equal(same, data);
    return same.add(1);
  });
  assert.equal(data.isDisposed, false);
  assert.deepEqual(r.tolist(), [2, 2]);
  // Made in the outer scope and returned by the inner one: the outer scope still frees it.
  let made!: ReturnType<typeof ones>;
  tidy(() => {
    made = ones([1]);
    tidy(() => [made]);
    assert.equal(made.isDisposed, false);
  });
  assert.equal(made.isDisposed, true);
  dispose([data, r]);
  assert.equal(live(), base);
});

test('keep() protects a tensor from every scope until disposed', () => {
  const base = live();
  let k1!: Tensor, k2!: Tensor;
  tidy(() => {
    tidy(() => {
      k1 = keep(ones([2]));
      k2 = zeros([1]).keep();
    });
  });
  assert.equal(k1.kept, true);
  assert.equal(k1.isDisposed, false);
  assert.equal(k2.isDisposed, false);
  const sum = k1.add(k2);
  assert.deepEqual(sum.tolist(), [1, 1]);
  assert.equal(live(), base + 3); // k1, k2 and the untracked sum
  dispose([k1, k2, sum]); // nothing left for the GC: the tests below count exactly
});

test('dispose() twice is safe; dispose(value) frees tensors inside arrays and objects', () => {
  const base = live();
  const t = ones([4]);
  t.dispose();
  t.dispose();
  assert.equal(live(), base);
  const a = ones([1]), b = ones([1]);
  dispose([a, { b }, 3, null]);
  assert.equal(a.isDisposed && b.isDisposed, true);
  dispose([a, b]);
  // A tensor disposed inside tidy is not disposed again at the end.
  tidy(() => ones([2]).dispose());
  assert.equal(live(), base);
});

test('tidy rejects async functions and promises, and frees what was made', async () => {
  const base = live();
  assert.throws(() => tidy(async () => ones([1])), /fn must be synchronous/);
  assert.equal(live(), base);
  let made!: Tensor;
  const p = Promise.resolve();
  assert.throws(
    () =>
      tidy(() => {
        made = ones([1]);
        return p.then(() => made) as unknown;
      }),
    /fn must be synchronous/,
  );
  assert.equal(made.isDisposed, true);
  assert.equal(scopeDepth(), 0);
  assert.equal(live(), base);
  await p;
});

test('a throw inside tidy frees everything made in it and closes the scope', () => {
  const base = live();
  let made!: Tensor;
  assert.throws(() =>
    tidy(() => {
      made = ones([5]);
      made.mm(made);
    }),
  );
  assert.equal(made.isDisposed, true);
  assert.equal(scopeDepth(), 0);
  assert.equal(live(), base);
});

test('live tensors return to baseline after 200 steps with gradients', () => {
  const w = keep(tensor([[0.5, -0.5], [0.25, 1]], { requiresGrad: true }));
  const base = live();
  for (let i = 0; i < 200; i++) {
    tidy(() => {
      const x = ones([4, 2]).mul(i % 3);
      x.mm(w).relu().sum().backward();
      noGrad(() => w.sub_(w.grad!.mul(0.01)));
      w.grad = null;
    });
  }
  assert.equal(live(), base);
  w.dispose();
});

test('native bytes are reported to V8 in steps of 256 MiB', () => {
  const m0 = memory();
  const big = zeros([80_000_000]); // 320 MB
  const m1 = memory();
  assert.ok(m1.externalBytes - m0.externalBytes >= 64 * 2 ** 20, `reported ${m1.externalBytes - m0.externalBytes}`);
  big.dispose();
  const m2 = memory();
  assert.ok(m1.externalBytes - m2.externalBytes >= 64 * 2 ** 20, `released ${m1.externalBytes - m2.externalBytes}`);
});

test('native bytes: counted once per storage, down after dispose', () => {
  const m0 = memory();
  const t = zeros([1000]); // 4000 bytes
  const m1 = memory();
  assert.equal(m1.liveBytes - m0.liveBytes, 4000);
  assert.ok(m1.peakBytes >= m1.liveBytes);
  // Views share the storage: no new bytes.
  const v = t.view(10, 100);
  const s = t.narrow(0, 0, 10);
  assert.equal(memory().liveBytes, m1.liveBytes);
  assert.equal(memory().liveStorages, m1.liveStorages);
  assert.equal(memory().liveTensors, m1.liveTensors + 2);
  t.dispose();
  assert.equal(memory().liveBytes, m1.liveBytes); // still held by the views
  v.dispose();
  s.dispose();
  const m2 = memory();
  assert.equal(m2.liveBytes, m0.liveBytes);
  assert.equal(m2.liveTensors, m0.liveTensors);
  const d = zeros([10], { dtype: 'float64' });
  assert.equal(memory().liveBytes - m0.liveBytes, 80);
  d.dispose();
});

test('GC finalisation frees tensors that were never disposed (safety net)', async () => {
  v8.setFlagsFromString('--expose_gc');
  const gc = vm.runInNewContext('gc') as () => void;
  const collect = async () => {
    for (let i = 0; i < 3; i++) {
      gc();
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  await collect(); // earlier tests' garbage
  const base = live();
  (() => {
    for (let i = 0; i < 50; i++) zeros([10]);
  })();
  assert.equal(live(), base + 50);
  await collect();
  assert.equal(live(), base);
});

test('the finaliser runs within the GC, not on a later turn of the event loop (synchronous loops do not pile up handles)', async () => {
  v8.setFlagsFromString('--expose_gc');
  const gc = vm.runInNewContext('gc') as () => void;
  gc();
  await new Promise((r) => setTimeout(r, 10)); // earlier tests' garbage
  const base = live();
  (() => {
    for (let i = 0; i < 1000; i++) zeros([10]);
  })();
  assert.equal(live(), base + 1000);
  gc(); // no await: with finalisers deferred to the event loop, all 1,000 would still be live
  assert.equal(live(), base);
});

test('trimNativeHeap gives freed heap pages back to the system', () => {
  const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1]) * 1024;
  trimNativeHeap();
  // 400 tensors of 32 KiB (heap, not mmap), all freed but the last, which pins the heap's top:
  // glibc's free() cannot return the 12.5 MiB below it, malloc_trim can.
  const ts = Array.from({ length: 400 }, () => ones([8192]));
  const last = ts.pop()!;
  dispose(ts);
  const before = rss();
  assert.equal(trimNativeHeap(), true);
  const released = before - rss();
  assert.ok(released > 8 * 2 ** 20, `released ${(released / 2 ** 20).toFixed(1)} MiB`);
  last.dispose();
});
