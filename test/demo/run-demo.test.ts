import { afterAll, describe, expect, it } from '@jest/globals';
import { rm } from 'node:fs/promises';
import { runGit } from '../../src/forge/git/git-cli.js';
import { runDemo, type DemoResult } from '../../src/demo/run-demo.js';

const roots: string[] = [];
afterAll(async () => {
  for (const root of roots) await rm(root, { recursive: true, force: true });
});

async function demo(failing: boolean): Promise<{ result: DemoResult; output: string }> {
  let output = '';
  const result = await runDemo({ failing, plain: true, out: { write: (text: string) => (output += text) }, env: {}, tickMs: 100 });
  roots.push(result.root);
  return { result, output };
}

async function git(remote: string, args: string[]): Promise<string> {
  return (await runGit(args, { cwd: remote })).stdout;
}

/** The canary weight in the VirtualService at a commit. */
async function weightAt(remote: string, ref: string): Promise<number> {
  const text = await git(remote, ['show', `${ref}:apps/shop/virtualservice.yaml`]);
  return Number(/host: shop-canary\n\s+weight: (\d+)/.exec(text)?.[1]);
}

describe('opsbox demo', () => {
  it('rolls a healthy version out: 10%, 50%, then promotion, each a commit in the bare repository', async () => {
    const { result, output } = await demo(false);
    expect(result.problem).toBeUndefined();
    expect(result.ran).toBe(true);
    expect(result.rollout?.phase).toBe('Succeeded');
    const subjects = (await git(result.remote, ['log', '--reverse', '--format=%s', 'main'])).trim().split('\n');
    expect(subjects).toEqual([
      'Add the shop service: stable, canary, VirtualService, error-rate analysis',
      'chore(deps): update registry.example/shop to 1.5.0',
      'canary(shop): weight 10% → 1.5.0',
      'canary(shop): weight 50% → 1.5.0',
      'canary(shop): promote 1.5.0 to stable, weight 0%',
    ]);
    expect(await weightAt(result.remote, 'main~2')).toBe(10);
    expect(await weightAt(result.remote, 'main~1')).toBe(50);
    expect(await weightAt(result.remote, 'main')).toBe(0);
    expect(await git(result.remote, ['show', 'main:apps/shop/stable.yaml'])).toContain('image: registry.example/shop:1.5.0');
    expect(await git(result.remote, ['branch', '--list', 'opsbox/revert/*'])).toBe('');
    // the progress and the closing summary
    expect(output).toMatch(/error-rate = \[0\.00\d+\] {3}result\[0\] < 0\.05 {3}✔ Successful/);
    expect(output).toContain('✔ shop 1.5.0 promoted');
    expect(output).toContain(`The repository is ${result.remote}`);
    expect(output).toContain('opsbox watch --repo');
    expect(result.log).toHaveLength(5);
  }, 90_000);

  it('with --fail rolls the canary back: weight 0 commit, revert branch with the old tag, exit as designed', async () => {
    const { result, output } = await demo(true);
    expect(result.problem).toBeUndefined();
    expect(result.ran).toBe(true);
    expect(result.rollout?.phase).toBe('Aborted');
    const subjects = (await git(result.remote, ['log', '--reverse', '--format=%s', 'main'])).trim().split('\n');
    expect(subjects).toEqual([
      'Add the shop service: stable, canary, VirtualService, error-rate analysis',
      'chore(deps): update registry.example/shop to 1.5.0',
      'canary(shop): weight 10% → 1.5.0',
      'canary(shop): roll back 1.5.0, weight 0% (traffic to stable 1.4.0)',
    ]);
    expect(await weightAt(result.remote, 'main~1')).toBe(10);
    expect(await weightAt(result.remote, 'main')).toBe(0);
    expect(await git(result.remote, ['show', 'main:apps/shop/stable.yaml'])).toContain('image: registry.example/shop:1.4.0');
    expect(result.revertBranch).toBe('opsbox/revert/shop-1.5.0');
    expect(await git(result.remote, ['show', 'opsbox/revert/shop-1.5.0:apps/shop/canary.yaml'])).toContain('image: registry.example/shop:1.4.0');
    expect((await git(result.remote, ['log', '-1', '--format=%s', 'opsbox/revert/shop-1.5.0'])).trim()).toBe('revert(shop): canary back to 1.4.0');
    expect(output).toMatch(/error-rate = \[0\.118\] .* ✖ Failed/);
    expect(output).toMatch(/error-rate = \[0\.2\] .* ✖ Failed/);
    expect(output).toContain('The revert, for a person to review and merge (branch opsbox/revert/shop-1.5.0)');
  }, 90_000);
});
