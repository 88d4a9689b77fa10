import { describe, expect, it } from '@jest/globals';
import { main } from '../../src/cli/main.js';

function run(argv: string[]) {
  const out = { stdout: '', stderr: '' };
  const io = { stdout: { write: (t: string) => (out.stdout += t) }, stderr: { write: (t: string) => (out.stderr += t) }, env: { OPSBOX_DATA_DIR: '/nonexistent-opsbox-data' } };
  return main(argv, io).then((code) => ({ code, ...out }));
}

describe('opsbox watch, demo and the rollout commands: usage', () => {
  it('lists them in the help', async () => {
    const { code, stdout } = await run(['--help']);
    expect(code).toBe(0);
    for (const name of ['demo', 'watch', 'promote', 'abort']) expect(stdout).toContain(name);
  });

  it('refuses a watch without --repo or with an interval it cannot read', async () => {
    expect(await run(['watch'])).toMatchObject({ code: 4, stderr: expect.stringContaining('--repo is required') });
    expect(await run(['watch', '--repo', '.', '--interval', 'soon'])).toMatchObject({ code: 4, stderr: expect.stringContaining('--interval soon') });
  });

  it('refuses a command without --service, and --full on anything but promote', async () => {
    expect(await run(['abort', '--repo', '.'])).toMatchObject({ code: 4, stderr: expect.stringContaining('--repo and --service are required') });
    expect(await run(['pause', '--repo', '.', '--service', 'api', '--full'])).toMatchObject({ code: 4, stderr: expect.stringContaining('--full goes with promote only') });
    const help = await run(['promote', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('[--full]');
  });
});
