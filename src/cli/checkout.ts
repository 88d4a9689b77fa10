/** Reading and checking a manifests checkout, shared by `validate` and `plan`. */
import path from 'node:path';
import { parseConfigText } from '../config/load.js';
import { CONFIG_PATH, type OpsboxConfig } from '../config/opsbox.schema.js';
import { formatProblem, type ConfigProblem } from '../config/problems.js';
import { DiskRepoFiles } from '../repo/files.js';
import { preflight, type PreflightResult } from '../rollout/preflight.js';
import { ANY_SYNC_GATE } from '../sync/registry.js';

export type CheckoutResult =
  | { kind: 'ok'; files: DiskRepoFiles; config: OpsboxConfig; check: PreflightResult }
  | { kind: 'no-config'; message: string }
  /** `config`: the file itself is invalid, so nothing else was checked. */
  | { kind: 'invalid'; stage: 'config' | 'checks'; problems: ConfigProblem[]; warnings: ConfigProblem[] };

/** Loads `.github/opsbox.yml` in `dir` and runs the preflight checks (for `services`, or all). */
export async function checkCheckout(dir: string, services?: readonly string[]): Promise<CheckoutResult> {
  const root = path.resolve(dir);
  const files = new DiskRepoFiles(root);
  const text = await files.readOptional(CONFIG_PATH);
  if (text === null) {
    return {
      kind: 'no-config',
      message: `${CONFIG_PATH}: not found in ${root}; run in a manifests checkout or pass its folder (see the config reference in README.md)`,
    };
  }
  const config = parseConfigText(text, CONFIG_PATH);
  if (!config.ok) return { kind: 'invalid', stage: 'config', problems: config.problems, warnings: [] };
  // Whether the app can read the cluster is a property of where it runs, not of the checkout.
  const check = await preflight(files, config.config, { services, configFile: CONFIG_PATH, syncGates: ANY_SYNC_GATE });
  if (check.problems.length > 0) return { kind: 'invalid', stage: 'checks', problems: check.problems, warnings: check.warnings };
  return { kind: 'ok', files, config: config.config, check };
}

export function printProblems(out: { write(text: string): unknown }, problems: readonly ConfigProblem[]): void {
  for (const problem of problems) out.write(`${formatProblem(problem)}\n`);
}
