// The options of `selfsup pretext permutations`.
import { z } from 'zod';
import { field } from '../util/options.js';
import { PERMUTATION_COUNT } from './permutations.js';

export const permutationsSchema = z.strictObject({
  count: field(z.int().min(1).max(PERMUTATION_COUNT), { description: `number of permutations, 1..${PERMUTATION_COUNT}`, arg: 'n' }),
  minHamming: field(z.int().min(0).max(9).default(0), { description: 'minimum Hamming distance between any two chosen permutations', arg: 'd' }),
  seed: field(z.int().min(0).default(0), { description: 'seed for the first (random) permutation', arg: 's' }),
  json: field(z.boolean().default(false), { description: 'print the set as JSON', role: 'control' }),
  out: field(z.string().optional(), { description: 'also write the set as JSON to FILE (atomically)', role: 'output', arg: 'file' }),
});
