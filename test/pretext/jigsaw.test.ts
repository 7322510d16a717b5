// Jigsaw tiles: every tile is a contiguous patch from its cell, slots follow the permutation,
// Jigsaw++ occluders follow the configured distribution and come from other images.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tensor, tidy } from '../../src/engine/index.js';
import { Rng } from '../../src/data/rng.js';
import { JigsawPuzzles, TILES } from '../../src/pretext/jigsaw.js';
import { generatePermutations } from '../../src/pretext/permutations.js';

const PERMS = generatePermutations({ count: 30, seed: 3 }).permutations;

/** A batch whose pixel values name their image, channel, row and column. */
function coded(b: number, c: number, h: number, w: number) {
  const v = new Float32Array(b * c * h * w);
  for (let i = 0; i < v.length; i++) v[i] = i;
  const decode = (x: number) => {
    const col = x % w, row = Math.floor(x / w) % h, ch = Math.floor(x / (w * h)) % c, img = Math.floor(x / (w * h * c));
    return { img, ch, row, col };
  };
  return { images: tensor(v, { shape: [b, c, h, w] }), decode };
}

test('tiles reassembled with the inverse permutation lie in their cells, in grid order, without overlap', () => {
  const B = 16, H = 32, W = 32;
  const { images, decode } = coded(B, 1, H, W);
  const jig = new JigsawPuzzles({ permutations: PERMS, normalize: false });
  const { crop, cell, tile } = jig.geometry(H, W);
  assert.deepEqual({ crop, cell, tile }, { crop: 30, cell: 10, tile: 9 });
  const plan = jig.plan(B, [1, H, W], new Rng(5));
  const tiles = jig.cut(images, plan);
  assert.deepEqual(tiles.shape, [B * TILES, 1, tile, tile]);
  const px = tiles.data() as Float32Array;
  const labels = new Set<number>();
  for (let b = 0; b < B; b++) {
    const perm = PERMS[plan.labels[b]!]!;
    labels.add(plan.labels[b]!);
    // Read each slot's tile: contiguous rows and columns of image b.
    const corners: { y: number; x: number }[] = [];
    for (let s = 0; s < TILES; s++) {
      const off = (b * TILES + s) * tile * tile;
      const first = decode(px[off]!);
      assert.equal(first.img, b, 'a Jigsaw tile comes from its own image');
      for (let r = 0; r < tile; r++) for (let q = 0; q < tile; q++) {
        const d = decode(px[off + r * tile + q]!);
        assert.deepEqual([d.img, d.row, d.col], [b, first.row + r, first.col + q], `slot ${s} pixel (${r}, ${q})`);
      }
      corners.push({ y: first.row, x: first.col });
    }
    // Inverse permutation: the tile of cell k sits in the slot s with perm[s] = k.
    const byCell = Array.from({ length: TILES }, (_, k) => corners[perm.indexOf(k)]!);
    // One crop origin explains all nine: corner - cell offset lies in [origin, origin + cell - tile].
    const ys = byCell.map((p, k) => p.y - Math.floor(k / 3) * cell);
    const xs = byCell.map((p, k) => p.x - (k % 3) * cell);
    const spread = (a: number[]) => Math.max(...a) - Math.min(...a);
    assert.ok(spread(ys) <= cell - tile && spread(xs) <= cell - tile, `image ${b}: tiles do not fit one grid (${ys}, ${xs})`);
    assert.ok(Math.min(...ys) >= 0 && Math.max(...ys) <= H - crop + cell - tile);
    // Grid order: each tile starts at least a tile's side below / right of its upper / left neighbour.
    for (let k = 0; k < TILES; k++) {
      if (k >= 3) assert.ok(byCell[k]!.y - byCell[k - 3]!.y >= tile, `cell ${k} overlaps the cell above`);
      if (k % 3 > 0) assert.ok(byCell[k]!.x - byCell[k - 1]!.x >= tile, `cell ${k} overlaps the cell to its left`);
    }
  }
  assert.ok(labels.size > 5, 'permutations are drawn at random');
  for (const t of [images, tiles]) t.dispose();
});

test('jitter moves tiles inside their cells', () => {
  const jig = new JigsawPuzzles({ permutations: PERMS, crop: 30, tile: 7, normalize: false });
  const plan = jig.plan(64, [1, 32, 32], new Rng(1));
  // With 10 px cells and 7 px tiles, the offset within a cell takes all of 0..3.
  const offsets = new Set<number>();
  for (let i = 0; i < plan.cell.length; i++) offsets.add(plan.corner[2 * i]! - Math.floor(plan.cell[i]! / 3) * 10);
  assert.ok(offsets.size >= 4, `few distinct offsets: ${[...offsets]}`);
});

test('each tile is normalised to zero mean and unit variance', () => {
  tidy(() => {
    const x = tensor(Float32Array.from({ length: 8 * 3 * 32 * 32 }, (_, i) => Math.abs((Math.sin(i * 12.9898) * 43758.5453) % 1)), { shape: [8, 3, 32, 32] });
    const { tiles } = new JigsawPuzzles({ permutations: PERMS }).make(x, new Rng(2));
    const flat = tiles.reshape(8 * TILES, -1);
    const mean = flat.mean(1).abs().max().item();
    const std = flat.std(1, { correction: 0 }).sub(1).abs().max().item();
    assert.ok(mean < 1e-5 && std < 1e-4, `mean ${mean}, std - 1 ${std}`);
  });
});

test('Jigsaw++: the number of occluded tiles follows the distribution; occluders come from one other image', () => {
  const B = 32, H = 32, W = 32;
  const { images, decode } = coded(B, 1, H, W);
  const occlusion = [0.2, 0.3, 0.5];
  const jig = new JigsawPuzzles({ permutations: PERMS, occlusion, normalize: false });
  const counts = [0, 0, 0];
  let puzzles = 0;
  for (let round = 0; round < 40; round++) {
    const plan = jig.plan(B, [1, H, W], new Rng(100 + round));
    const px = jig.cut(images, plan).data() as Float32Array;
    const tileSize = 9 * 9;
    for (let b = 0; b < B; b++) {
      const sources = Array.from({ length: TILES }, (_, s) => decode(px[(b * TILES + s) * tileSize]!).img);
      const others = sources.filter((img) => img !== b);
      assert.equal(others.length, plan.occluded[b], 'the plan and the pixels agree');
      assert.ok(new Set(others).size <= 1, 'all occluding tiles of a puzzle come from one other image');
      counts[others.length]!++;
      puzzles++;
    }
  }
  images.dispose();
  counts.forEach((c, k) => {
    const f = c / puzzles; // 1280 puzzles: standard error about 0.014
    assert.ok(Math.abs(f - occlusion[k]!) < 0.05, `k = ${k}: frequency ${f.toFixed(3)}, expected ${occlusion[k]}`);
  });
});

test('colour input: grayscale per image, channel shifts, and occluders with their own colour decision', () => {
  const B = 32, H = 32, W = 32;
  const { images, decode } = coded(B, 3, H, W);
  // Always grayscale: every tile has three equal channels.
  tidy(() => {
    const t = new JigsawPuzzles({ permutations: PERMS, grayscale: 1, normalize: false }).make(images, new Rng(4)).tiles;
    assert.ok(t.select(1, 0).sub(t.select(1, 2)).abs().max().item() < 1e-3);
  });
  // No grayscale, shifts up to 2 px: each channel's patch is shifted by 0..2 px from the others.
  const jig = new JigsawPuzzles({ permutations: PERMS, grayscale: 0, channelShift: 2, normalize: false });
  const plan = jig.plan(B, [3, H, W], new Rng(6));
  const px = jig.cut(images, plan).data() as Float32Array;
  const seen = new Set<number>();
  for (let slot = 0; slot < B * TILES; slot++) {
    const at = (ch: number) => decode(px[(slot * 3 + ch) * 81]!);
    for (let ch = 0; ch < 3; ch++) assert.equal(at(ch).ch, ch);
    const dy = at(1).row - at(0).row, dx = at(2).col - at(0).col;
    assert.ok(Math.abs(dy) <= 2 && Math.abs(dx) <= 2);
    seen.add(dy);
  }
  assert.ok(seen.size >= 3, 'channel shifts vary');
  // Jigsaw++ with grayscale 0.5: an occluding tile is gray or not independently of its host.
  const pp = new JigsawPuzzles({ permutations: PERMS, grayscale: 0.5, occlusion: [0, 0, 1] });
  let differ = 0, occluders = 0;
  for (let round = 0; round < 10; round++) {
    const q = pp.plan(B, [3, H, W], new Rng(50 + round));
    for (let b = 0; b < B; b++) {
      const host = [...Array(TILES).keys()].find((s) => q.source[b * TILES + s] === b)!;
      for (let s = 0; s < TILES; s++) {
        if (q.source[b * TILES + s] === b) continue;
        occluders++;
        if (q.gray[b * TILES + s] !== q.gray[b * TILES + host]) differ++;
      }
    }
  }
  assert.ok(differ / occluders > 0.35 && differ / occluders < 0.65, `occluders differ in colour decision ${differ}/${occluders}`);
  images.dispose();
});

test('bad options and inputs give clear errors', () => {
  assert.throws(() => new JigsawPuzzles({ permutations: [[0, 1, 2]] }), /permutations\[0\].*not a permutation of 0..8/);
  assert.throws(() => new JigsawPuzzles({ permutations: PERMS, occlusion: [0.5, 0.2] }), /summing to 1/);
  assert.throws(() => new JigsawPuzzles({ permutations: PERMS, tile: 11 }).geometry(32, 32), /tile must be an integer in \[1, 10\]/);
  tidy(() => assert.throws(() => new JigsawPuzzles({ permutations: PERMS }).make(tensor([1, 2, 3]), new Rng(1)), /expected images \[B, C, H, W\]/));
});
