#!/usr/bin/env node
// The `opsbox` CLI. Runs the TypeScript sources through tsx so no build step is needed.
import { register } from 'tsx/esm/api';

// `opsbox plan … | head` closes the pipe before the output ends: stop quietly, as other tools do
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(process.exitCode ?? 0);
  });
}

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env });
