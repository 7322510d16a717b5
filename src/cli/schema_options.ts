// Commander options generated from a stage's schema (src/util/options.ts): one flag per field
// (camelCase key -> --kebab-case), its description and default from the schema, choices for
// enums; the parsed values are validated by the same schema, so the CLI and a config file accept
// the same names, types and defaults.
import { Argument, Command, Option } from 'commander';
import type { z } from 'zod';
import { expected, fieldMeta, parseOptions, unwrap, type StageSchema } from '../util/options.js';

export const flagOf = (key: string): string => '--' + key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());

function placeholder(key: string, base: z.ZodType, arg?: string): string {
  if (arg) return arg;
  const t = (base.def as { type: string }).type;
  if (t === 'number') return (base as unknown as { isInt?: boolean }).isInt ? 'n' : 'x';
  if (t === 'enum' || t === 'literal') return 'name';
  if (t === 'array') return 'list';
  return key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
}

/** The help text's default, from the schema (never typed into a help string). */
export function defaultText(f: z.ZodType): string | undefined {
  const u = unwrap(f);
  const m = fieldMeta(f);
  if (m.defaultText) return m.defaultText;
  if (!u.hasDefault || u.default === false) return undefined;
  return Array.isArray(u.default) ? u.default.join(',') : String(u.default);
}

/**
 * A list's command-line text split at its commas, except those inside [...] or {...}, so that an
 * item can be a YAML flow value: `a=[x, y],b=1` -> `a=[x, y]`, `b=1`.
 */
export function splitList(text: string): string[] {
  const items: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '[' || c === '{') depth++;
    else if ((c === ']' || c === '}') && depth > 0) depth--;
    else if (c === ',' && depth === 0) {
      items.push(text.slice(start, i));
      start = i + 1;
    }
  }
  items.push(text.slice(start));
  return items;
}

/** Turns the command-line text of a field into the value its schema expects (validation follows). */
function fromText(base: z.ZodType, v: string): unknown {
  const d = base.def as { type: string; element?: z.ZodType; values?: unknown[] };
  const num = (x: string): unknown => {
    const t = x.trim();
    const frac = /^([^/]+)\/([^/]+)$/.exec(t);
    const n = frac ? Number(frac[1]) / Number(frac[2]) : Number(t);
    return t !== '' && Number.isFinite(n) ? n : x;
  };
  if (d.type === 'number') return num(v);
  if (d.type === 'literal' && typeof d.values?.[0] === 'number') return num(v);
  if (d.type === 'array') return splitList(v).map((x) => fromText(d.element!, x));
  return v;
}

/** Adds the schema's fields to `cmd` as options (and a positional argument where a field says so). */
export function addSchemaOptions(cmd: Command, schema: StageSchema): Command {
  for (const [key, f0] of Object.entries(schema.shape)) {
    const f = f0 as z.ZodType;
    const u = unwrap(f);
    const m = fieldMeta(f);
    const t = (u.base.def as { type: string }).type;
    const dflt = defaultText(f);
    const help = m.description + (dflt !== undefined ? ` (default ${dflt})` : '');
    if (m.positional) {
      cmd.addArgument(new Argument(`<${placeholder(key, u.base, m.arg)}>`, help));
      continue;
    }
    let opt: Option;
    if (t === 'boolean') {
      // A true default is turned off with --no-KEY.
      opt = u.default === true ? new Option(flagOf(key).replace(/^--/, '--no-'), m.description) : new Option(flagOf(key), help);
    } else {
      opt = new Option(`${flagOf(key)} <${placeholder(key, u.base, m.arg)}>`, help);
      const d = u.base.def as { type: string; entries?: Record<string, string>; values?: unknown[] };
      if (t === 'enum') opt.choices(Object.values(d.entries!));
      if (t === 'literal') opt.choices(d.values!.map(String));
      if (!u.hasDefault && !u.optional) opt.makeOptionMandatory();
    }
    cmd.addOption(opt);
  }
  return cmd;
}

/**
 * The options object commander parsed (and the positional argument, if any), converted and
 * validated by the schema; errors name the flags.
 */
export function schemaOptions<S extends StageSchema>(schema: S, parsed: Record<string, unknown>, positional?: string): z.output<S> {
  const input: Record<string, unknown> = {};
  for (const [key, f0] of Object.entries(schema.shape)) {
    const f = f0 as z.ZodType;
    const m = fieldMeta(f);
    const v = m.positional ? positional : parsed[key];
    if (v === undefined) continue;
    const base = unwrap(f).base;
    // commander gives `true` for a bare flag and keeps a --no-KEY flag's value under KEY.
    input[key] = typeof v === 'string' ? fromText(base, v) : v;
  }
  const names = new Map(Object.keys(schema.shape).map((k) => [k, fieldMeta(schema.shape[k] as z.ZodType).positional ? `<${k}>` : flagOf(k)]));
  return parseOptions(schema, input, (p) => names.get(p[0]!) ?? p.join('.'), (issue, f, flag) => {
    // The command line's wording: '--k must be an integer >= 1, got '0''.
    const raw = parsed[issue.path[0] as string] ?? positional;
    if (issue.code === 'too_big' && typeof issue.maximum === 'number' && issue.inclusive !== false) return `${flag} must be at most ${issue.maximum}, got ${String(raw)}`;
    if (issue.code === 'too_small' && typeof issue.minimum === 'number') {
      const int = (unwrap(f).base as unknown as { isInt?: boolean }).isInt === true;
      return `${flag} must be ${int ? 'an integer' : 'a number'} ${issue.inclusive === false ? '>' : '>='} ${issue.minimum}, got '${String(raw)}'`;
    }
    if (issue.code === 'invalid_type') return `${flag} must be ${expected(f)}, got '${String(raw)}'`;
    return undefined;
  });
}

/** The schema each stage command was made from. */
export const COMMAND_SCHEMAS = new WeakMap<Command, StageSchema>();

/** A subcommand whose options are the schema's; `run` gets the validated options. */
export function stageCommand<S extends StageSchema>(name: string, description: string, schema: S, run: (o: z.output<S>) => unknown): Command {
  const cmd = new Command(name).description(description);
  addSchemaOptions(cmd, schema);
  COMMAND_SCHEMAS.set(cmd, schema);
  const hasPositional = Object.values(schema.shape).some((f) => fieldMeta(f as z.ZodType).positional);
  cmd.action(async (...args: unknown[]) => {
    const positional = hasPositional ? (args[0] as string) : undefined;
    const parsed = (hasPositional ? args[1] : args[0]) as Record<string, unknown>;
    await run(schemaOptions(schema, parsed, positional));
  });
  return cmd;
}
