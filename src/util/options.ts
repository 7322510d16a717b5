// Stage options described once: a zod schema whose fields carry their type, default, range and a
// one-line description. From it come the command's options and --help (src/cli/schema_options.ts),
// validation of an options object whatever its origin (CLI, a config file, a library call), and
// the config an artifact records.
import { z } from 'zod';
import { nativeBf16 } from './cpu.js';

/**
 * What a field is for, beyond its value:
 * - 'config' (default): a setting of the stage; recorded and part of the content key.
 * - 'input': a path to an artifact the stage reads (recorded with that artifact's key).
 * - 'output': where the stage writes.
 * - 'control': how the run goes (progress, resume, threads...), not what it makes.
 */
export type FieldRole = 'config' | 'input' | 'output' | 'control';

export interface FieldMeta {
  description: string;
  role?: FieldRole;
  /** Placeholder in --help, e.g. 'file.npy' (default from the type). */
  arg?: string;
  /** A default that depends on other options or the data, said in words (e.g. 'image side - 2'). */
  defaultText?: string;
  /** Given as the command's positional argument instead of an option. */
  positional?: boolean;
}

/** Attaches the description and role to a field; call it last (after .default(), .optional()). */
export function field<T extends z.ZodType>(schema: T, meta: FieldMeta): T {
  return schema.meta({ ...meta }) as T;
}

/**
 * A --device option (role 'control': where a stage runs is not part of what it makes, nor of its
 * content key): 'auto' (default: cuda:0 when a CUDA device is visible, else cpu), 'cpu', 'cuda'
 * or 'cuda:N'. The stage resolves it with resolveDevice (src/engine/device.ts) before it writes
 * anything. `where` completes the description: 'where to train', 'where the network runs', ...
 */
export function deviceField(where: string, after = '') {
  return field(z.string().regex(/^(auto|cpu|cuda(:\d+)?)$/, 'expected auto, cpu, cuda or cuda:N').default('auto'), {
    description: `${where}: cpu, cuda, cuda:N, or auto (cuda:0 when a CUDA device is visible, else cpu)${after}`, role: 'control', arg: 'device',
  });
}

/**
 * The precision option of the stages that run a network: fp32, bf16 (CPU autocast), or auto (bf16
 * where the CPU has bfloat16 instructions, else fp32). It parses to fp32 or bf16, so a stage's
 * config and content key hold the arithmetic it ran. `what` begins the description, `after` ends
 * what bf16 does there.
 */
export function precisionField(what: string, after = '') {
  return field(z.enum(['fp32', 'bf16', 'auto']).transform(resolvePrecision).default('fp32'), {
    description:
      `${what}: fp32, bf16 (CPU autocast, as torch.autocast('cpu', torch.bfloat16): convolutions and matrix products in bfloat16${after}), ` +
      'or auto (bf16 where the CPU has bfloat16 instructions, avx512_bf16 or amx_bf16; else fp32)',
  });
}

let warnedBf16 = false;

/** 'auto' -> what this CPU runs fast; an explicit bf16 on a CPU without bfloat16 instructions is
 *  kept, with one warning per process. */
function resolvePrecision(p: 'fp32' | 'bf16' | 'auto'): 'fp32' | 'bf16' {
  if (p === 'auto') return nativeBf16() ? 'bf16' : 'fp32';
  if (p === 'bf16' && !nativeBf16() && !warnedBf16) {
    warnedBf16 = true;
    process.emitWarning(
      'precision bf16: this CPU has no bfloat16 instructions (avx512_bf16, amx_bf16), so bf16 runs far slower than fp32 here ' +
        '(alexnet_s and vgg_s about 25x); use precision fp32, or auto to pick bf16 only where it is fast',
      { code: 'SELFSUP_BF16_EMULATED' },
    );
  }
  return p;
}

export function fieldMeta(f: z.ZodType): FieldMeta {
  const m = f.meta() as FieldMeta | undefined;
  return { description: m?.description ?? '', ...m };
}

export type StageSchema = z.ZodObject<z.ZodRawShape>;

/** The field with its optional/default wrappers (and a transform) removed, and the default if it has one. */
export function unwrap(f: z.ZodType): { base: z.ZodType; hasDefault: boolean; default?: unknown; optional: boolean } {
  let base = f;
  let hasDefault = false;
  let def: unknown;
  let optional = false;
  for (;;) {
    const d = base.def as { type: string; innerType?: z.ZodType; defaultValue?: unknown };
    if (d.type === 'default') {
      hasDefault = true;
      def = d.defaultValue;
      base = d.innerType!;
    } else if (d.type === 'optional') {
      optional = true;
      base = d.innerType!;
    } else if (d.type === 'pipe') {
      base = (d as unknown as { in: z.ZodType }).in; // a transform: what it accepts
    } else return { base, hasDefault, default: def, optional };
  }
}

/** The fields of a role (config fields are those without one). */
function fieldsOf(schema: StageSchema, role: FieldRole): string[] {
  return Object.entries(schema.shape).filter(([, f]) => (fieldMeta(f as z.ZodType).role ?? 'config') === role).map(([k]) => k);
}

/** Words for what a field accepts: 'an integer >= 1', 'a number in 0..1', 'one of sgd, adam', ... */
export function expected(f: z.ZodType): string {
  const base = unwrap(f).base;
  const d = base.def as { type: string; entries?: Record<string, string>; values?: unknown[]; element?: z.ZodType };
  const b = base as unknown as { isInt?: boolean };
  switch (d.type) {
    case 'number': {
      const int = b.isInt === true;
      let lo: { value: number; inclusive: boolean } | null = null;
      let hi: { value: number; inclusive: boolean } | null = null;
      for (const c of (base.def as { checks?: { _zod: { def: { check: string; value: number; inclusive: boolean } } }[] }).checks ?? []) {
        const cd = c._zod.def;
        if (cd.check === 'greater_than') lo = cd;
        if (cd.check === 'less_than') hi = cd;
      }
      const what = int ? 'an integer' : 'a number';
      if (lo && hi && lo.inclusive && hi.inclusive) return `${what} in ${lo.value}..${hi.value}`;
      const parts = [lo && `${lo.inclusive ? '>=' : '>'} ${lo.value}`, hi && `${hi.inclusive ? '<=' : '<'} ${hi.value}`].filter(Boolean);
      return parts.length ? `${what} ${parts.join(' and ')}` : what;
    }
    case 'string':
      return 'a string';
    case 'boolean':
      return 'true or false';
    case 'enum':
      return `one of ${Object.values(d.entries!).join(', ')}`;
    case 'literal':
      return `one of ${d.values!.join(', ')}`;
    case 'array':
      return `a list of ${expected(d.element!).replace(/^an? /, '')}s`;
    default:
      return d.type;
  }
}

function shown(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : v === undefined ? 'nothing' : JSON.stringify(v) ?? String(v);
}

/** One validation problem of a field, for a custom wording (return undefined for the default). */
export type IssueWording = (issue: z.core.$ZodIssue, f: z.ZodType, name: string) => string | undefined;

/**
 * Validates `input` against `schema`; on failure throws one Error listing every problem, each as
 * `NAME: expected ..., got ...` where NAME is `name(path)` (a CLI flag, a config key path).
 */
export function parseOptions<S extends StageSchema>(schema: S, input: unknown, name: (path: string[]) => string = (p) => p.join('.'), wording?: IssueWording): z.output<S> {
  const r = schema.safeParse(input, { reportInput: true });
  if (r.success) return r.data;
  const lines = r.error.issues.map((issue) => {
    const path = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') return issue.keys.map((k) => `${name([...path, k])}: unrecognized option`).join('\n');
    const f = path.length === 1 ? (schema.shape[path[0]!] as z.ZodType | undefined) : undefined;
    const custom = f && wording?.(issue, f, name(path));
    if (custom) return custom;
    const typeIssue = ['invalid_type', 'too_small', 'too_big', 'invalid_value', 'not_multiple_of'].includes(issue.code);
    const want = f && typeIssue ? `expected ${expected(f)}` : issue.message;
    const got = 'input' in issue ? `, got ${shown(issue.input)}` : '';
    return `${name(path)}: ${want}${got}`;
  });
  throw new Error(lines.join('\n'));
}

/** The config part of resolved options (role 'config'), keys in schema order. */
export function configOf(schema: StageSchema, options: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of fieldsOf(schema, 'config')) if (options[k] !== undefined) out[k] = options[k];
  return out;
}
