// Which CPUs count as computing bfloat16 natively: the flags line of /proc/cpuinfo (x86), read
// from excerpts written by hand after real machines' files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hasBf16Flags } from '../../src/util/cpu.js';

const cpu = (flags: string) => `processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC\nflags\t\t: ${flags}\nbogomips\t: 4890.86\n\n`;

test('avx512_bf16 (Zen 4) or amx_bf16 (Sapphire Rapids) count; AVX2 or AVX-512 without bf16 does not', () => {
  assert.equal(hasBf16Flags(cpu('fpu sse sse2 avx avx2 fma avx512f avx512bw avx512_bf16 avx512_vnni')), true);
  assert.equal(hasBf16Flags(cpu('fpu sse avx2 avx512f amx_bf16 amx_tile amx_int8')), true);
  assert.equal(hasBf16Flags(cpu('fpu vme sse4_2 avx f16c avx2 sha_ni vaes vpclmulqdq')), false, 'Zen 3');
  assert.equal(hasBf16Flags(cpu('fpu avx2 avx512f avx512bw avx512vl avx512_vnni')), false, 'Cascade Lake');
});

test('a flag is a whole word, and without a flags line (not x86) nothing counts', () => {
  assert.equal(hasBf16Flags(cpu('avx512_bf16x avx2')), false);
  assert.equal(hasBf16Flags('processor\t: 0\nFeatures\t: fp asimd bf16 i8mm\n'), false);
  assert.equal(hasBf16Flags(''), false);
});
