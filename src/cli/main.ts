#!/usr/bin/env node
// The `selfsup` command.
import { buildProgram } from './program.js';

buildProgram().parseAsync(process.argv).catch((e: Error) => {
  console.error(`selfsup: ${e.message}`);
  process.exit(1);
});
