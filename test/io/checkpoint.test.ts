import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { tensor, randn, zeros, tidy, keep, memory, type Tensor } from '../../src/engine/index.js';
import {
  saveCheckpoint,
  loadCheckpoint,
  saveSafetensors,
  loadSafetensors,
  readSafetensorsHeader,
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
} from '../../src/io/index.js';
import { withTempDir } from '../helpers/tmp.js';
import { hex } from '../helpers/tensors.js';

/** Stand-ins with the stateDict shapes of nn.Module, an optimiser and a schedule. */
function fakes() {
  const params = new Map<string, Tensor>([
    ['conv.weight', keep(randn([4, 1, 3, 3]))],
    ['conv.bias', keep(zeros([4]))],
    ['bn.running_mean', keep(randn([4]))],
    ['bn.num_batches_tracked', keep(tensor(new BigInt64Array([17n]), { shape: [] }))],
    ['fc.weight', keep(randn([2, 4]).to('bfloat16'))],
  ]);
  const momentum = new Map<string, Tensor>([
    ['0.momentum_buffer', keep(randn([4, 1, 3, 3]))],
    ['1.momentum_buffer', keep(randn([4]))],
  ]);
  const model = { stateDict: () => params };
  const optimizer = {
    // Makes a fresh tensor on every call, as a real optimiser's stateDict may.
    stateDict: () => ({
      tensors: new Map([...momentum, ['step', tensor(new BigInt64Array([5n]), { shape: [] })]]),
      meta: { type: 'SGD', lr: 0.1, momentum: 0.9, nesterov: true, paramGroups: [{ params: [0, 1], weightDecay: 5e-4 }] },
    }),
  };
  const scheduler = { stateDict: () => ({ type: 'cosine', lastEpoch: 3, baseLrs: [0.1] }) };
  const dispose = () => {
    for (const t of [...params.values(), ...momentum.values()]) t.dispose();
  };
  return { params, momentum, model, optimizer, scheduler, dispose };
}

test(
  'checkpoint round trip: model, optimiser tensors and meta, scheduler, user meta',
  withTempDir('ckpt', (dir) => {
    const f = fakes();
    try {
      const path = join(dir, 'ckpt.safetensors');
      const meta = { step: 1234, epoch: 3, seed: 7, rng: { seed: 7, draws: 99 }, config: { arch: 'convnet_s', note: 'ü' }, best: null };
      const live = memory().liveTensors;
      saveCheckpoint(path, { model: f.model, optimizer: f.optimizer, scheduler: f.scheduler, meta });
      assert.equal(memory().liveTensors, live, 'tensors made by stateDict() during save are freed');
      assert.deepEqual(readdirSync(dir), ['ckpt.safetensors']);

      // The file is plain safetensors with prefixed names and the JSON under __metadata__.selfsup.
      const h = readSafetensorsHeader(path);
      assert.deepEqual([...h.tensors.keys()].sort(), [
        'model.bn.num_batches_tracked',
        'model.bn.running_mean',
        'model.conv.bias',
        'model.conv.weight',
        'model.fc.weight',
        'optim.0.momentum_buffer',
        'optim.1.momentum_buffer',
        'optim.step',
      ]);
      assert.deepEqual(Object.keys(h.metadata), ['selfsup']);
      const info = JSON.parse(h.metadata.selfsup!);
      assert.equal(info.format, CHECKPOINT_FORMAT);
      assert.equal(info.version, CHECKPOINT_VERSION);

      tidy(() => {
        const ck = loadCheckpoint(path);
        assert.deepEqual([...ck.model.keys()].sort(), [...f.params.keys()].sort());
        for (const [k, t] of f.params) {
          const u = ck.model.get(k)!;
          assert.equal(u.dtype, t.dtype, k);
          assert.deepEqual(u.shape, t.shape, k);
          assert.equal(hex(u), hex(t), k);
        }
        assert.ok(ck.optimizer);
        assert.deepEqual(ck.optimizer.meta, f.optimizer.stateDict().meta);
        assert.equal(hex(ck.optimizer.tensors.get('0.momentum_buffer')!), hex(f.momentum.get('0.momentum_buffer')!));
        assert.equal(ck.optimizer.tensors.get('step')!.item(), 5);
        assert.deepEqual(ck.scheduler, { type: 'cosine', lastEpoch: 3, baseLrs: [0.1] });
        assert.deepEqual(ck.meta, meta);
      });
    } finally {
      f.dispose();
    }
  }),
);

test(
  'model-only checkpoint has no optimiser or scheduler entries',
  withTempDir('ckpt', (dir) => {
    const f = fakes();
    try {
      const path = join(dir, 'm.safetensors');
      saveCheckpoint(path, { model: f.model });
      tidy(() => {
        const ck = loadCheckpoint(path);
        assert.equal(ck.model.size, f.params.size);
        assert.equal(ck.optimizer, undefined);
        assert.equal(ck.scheduler, undefined);
        assert.deepEqual(ck.meta, {});
      });
      // An optimiser with no tensors yet (SGD before its first step) is still restored.
      saveCheckpoint(path, { model: f.model, optimizer: { stateDict: () => ({ tensors: new Map(), meta: { lr: 0.5 } }) } });
      tidy(() => assert.deepEqual(loadCheckpoint(path).optimizer?.meta, { lr: 0.5 }));
    } finally {
      f.dispose();
    }
  }),
);

test(
  'meta that JSON cannot hold is refused before anything is written',
  withTempDir('ckpt', (dir) => {
    const f = fakes();
    try {
      const path = join(dir, 'x.safetensors');
      assert.throws(() => saveCheckpoint(path, { model: f.model, meta: { best: Infinity } }), /checkpoint meta\.best is Infinity/);
      assert.throws(() => saveCheckpoint(path, { model: f.model, meta: { when: new Date(0) } }), /meta\.when is a Date/);
      assert.throws(
        () => saveCheckpoint(path, { model: f.model, scheduler: { stateDict: () => ({ lrs: [0.1, NaN] }) } }),
        /scheduler state\.lrs\[1\] is NaN/,
      );
      assert.deepEqual(readdirSync(dir), []);
    } finally {
      f.dispose();
    }
  }),
);

test(
  'loading a plain safetensors file as a checkpoint names the file and the problem',
  withTempDir('ckpt', (dir) => {
    const path = join(dir, 'plain.safetensors');
    tidy(() => saveSafetensors(path, { w: zeros([2]) }, { framework: 'pt' }));
    const live = memory().liveTensors;
    assert.throws(() => loadCheckpoint(path), /plain\.safetensors: not a checkpoint: no __metadata__\.selfsup/);
    assert.equal(memory().liveTensors, live, 'tensors read before the error are freed');
    const newer = join(dir, 'newer.safetensors');
    tidy(() => saveSafetensors(newer, { 'model.w': zeros([2]) }, { selfsup: JSON.stringify({ format: CHECKPOINT_FORMAT, version: 99, optimizer: null, scheduler: null, meta: {} }) }));
    assert.throws(() => loadCheckpoint(newer), /newer\.safetensors: checkpoint version 99 is newer/);
    const stray = join(dir, 'stray.safetensors');
    tidy(() => saveSafetensors(stray, { w: zeros([2]) }, { selfsup: JSON.stringify({ format: CHECKPOINT_FORMAT, version: 1, optimizer: null, scheduler: null, meta: {} }) }));
    assert.throws(() => loadCheckpoint(stray), /stray\.safetensors: tensor 'w': checkpoint tensor names must start with/);
    // The checkpoint file is still an ordinary safetensors file.
    tidy(() => assert.equal(loadSafetensors(stray).tensors.size, 1));
  }),
);
