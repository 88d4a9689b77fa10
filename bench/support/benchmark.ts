/** What every benchmark gives the runner: its figures for `--json` and tables for people. */
import type { Table } from './table.js';

export interface BenchmarkResult {
  figures: Record<string, unknown>;
  tables: Table[];
}

export interface Benchmark {
  name: string;
  description: string;
  run(log: (line: string) => void): Promise<BenchmarkResult>;
}
