// selfsup launch's options: N local processes as torchrun starts them (same variables).
import { z } from 'zod';
import { field } from '../util/options.js';
import { DEFAULT_PORT, DEFAULT_TIMEOUT_S } from './env.js';

export const launchSchema = z.strictObject({
  nproc: field(z.number().int().min(1).default(1), { description: 'processes on this machine' }),
  nnodes: field(z.number().int().min(1).default(1), { description: 'machines, each running selfsup launch with the same options' }),
  nodeRank: field(z.number().int().min(0).default(0), { description: "this machine's index, 0..nnodes-1 (node 0 runs rank 0, which hosts the store)" }),
  masterAddr: field(z.string().min(1).default('127.0.0.1'), { description: "rank 0's address (MASTER_ADDR)", arg: 'host' }),
  masterPort: field(z.number().int().min(1).max(65535).optional(), { description: "rank 0's store port (MASTER_PORT)", defaultText: `a free port with one machine, else ${DEFAULT_PORT}`, arg: 'port' }),
  timeout: field(z.number().positive().default(DEFAULT_TIMEOUT_S), { description: 'seconds a rendezvous or collective may wait for the other ranks (SELFSUP_DIST_TIMEOUT)' }),
  program: field(z.boolean().default(false), { description: 'the words after -- are a program and its arguments, not a selfsup command' }),
});

export type LaunchOptions = z.output<typeof launchSchema>;
