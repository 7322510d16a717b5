// What the CPU can do that changes which arithmetic is fast. bfloat16 autocast is 1.5x fp32 on a
// CPU with bfloat16 instructions (avx512_bf16: AMD Zen 4, Intel Cooper Lake and later; amx_bf16:
// Sapphire Rapids) and 25-28x slower than fp32 without them (an AVX2-only Zen 3; PyTorch 1.13 the
// same, so it is libtorch's); docs/performance.md#bf16.
import { readFileSync } from 'node:fs';

/** The x86 flags that make bfloat16 products native. */
const BF16_FLAGS = ['avx512_bf16', 'amx_bf16'];

/** Whether the CPU described by `cpuinfo` (the text of /proc/cpuinfo) has bfloat16 instructions. */
export function hasBf16Flags(cpuinfo: string): boolean {
  const line = cpuinfo.split('\n').find((l) => /^flags\s*:/.test(l));
  if (!line) return false;
  const flags = new Set(line.slice(line.indexOf(':') + 1).trim().split(/\s+/));
  return BF16_FLAGS.some((f) => flags.has(f));
}

let native: boolean | undefined;

/** Whether this machine's CPU computes bfloat16 natively. SELFSUP_NATIVE_BF16=1 or 0 overrides
 *  the answer; without /proc/cpuinfo (not Linux) it is false. */
export function nativeBf16(): boolean {
  const env = process.env.SELFSUP_NATIVE_BF16;
  if (env === '1' || env === '0') return env === '1';
  if (native === undefined) {
    try {
      native = hasBf16Flags(readFileSync('/proc/cpuinfo', 'utf8'));
    } catch {
      native = false;
    }
  }
  return native;
}
