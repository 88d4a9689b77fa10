/**
 * `npm run bench` runs every benchmark; `npm run bench -- NAME…` runs those named; `--json` prints
 * one JSON object with every figure instead of tables. Progress goes to stderr so stdout stays clean.
 */
import { availableParallelism, cpus, totalmem } from 'node:os';
import { archiveBenchmark } from './archive.js';
import { conditionsBenchmark } from './conditions.js';
import { dashboardBenchmark } from './dashboard.js';
import { haBenchmark } from './ha.js';
import { judgmentBenchmark } from './judgment.js';
import { reactionBenchmark } from './reaction.js';
import { requestsBenchmark } from './requests.js';
import { schedulerBenchmark } from './scheduler.js';
import type { Benchmark } from './support/benchmark.js';
import { renderTable } from './support/table.js';
import { webhooksBenchmark } from './webhooks.js';

const BENCHMARKS: Benchmark[] = [requestsBenchmark, webhooksBenchmark, schedulerBenchmark, reactionBenchmark, conditionsBenchmark, archiveBenchmark, judgmentBenchmark, dashboardBenchmark, haBenchmark];

function usage(): string {
  const names = BENCHMARKS.map((b) => `  ${b.name.padEnd(12)}${b.description}`).join('\n');
  // npm prints its own banner on stdout: `npm run -s` keeps the JSON alone there
  return `usage: npm run -s bench -- [--json] [NAME…]\n\n${names}\n`;
}

function machine() {
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: availableParallelism(),
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  };
}

async function main(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  const names = argv.filter((arg) => !arg.startsWith('--'));
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(usage());
    return 0;
  }
  const unknown = names.filter((name) => !BENCHMARKS.some((b) => b.name === name));
  if (unknown.length > 0) {
    process.stderr.write(`unknown benchmark: ${unknown.join(', ')}\n\n${usage()}`);
    return 2;
  }
  const selected = names.length === 0 ? BENCHMARKS : BENCHMARKS.filter((b) => names.includes(b.name));
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const started = Date.now();
  const results: Record<string, unknown> = {};
  for (const benchmark of selected) {
    const t0 = Date.now();
    const result = await benchmark.run(log);
    results[benchmark.name] = { ...result.figures, seconds: Math.round((Date.now() - t0) / 100) / 10 };
    if (!json) {
      process.stdout.write(`\n${result.tables.map(renderTable).join('\n\n')}\n`);
      log(`${benchmark.name}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }
  }
  const summary = { date: new Date(started).toISOString(), seconds: Math.round((Date.now() - started) / 100) / 10, machine: machine(), benchmarks: results };
  if (json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  else process.stdout.write(`\n${summary.machine.cpu}, ${summary.machine.cores} cores, node ${summary.machine.node}; ${summary.seconds} s in all\n`);
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
