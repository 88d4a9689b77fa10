import { describe, it, expect } from '@jest/globals';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { FIXTURE_REPO } from '../support/fixture-repo.js';

const BIN = fileURLToPath(new URL('../../bin/opsbox.js', import.meta.url));

describe('the opsbox executable', () => {
  it('stops quietly when its output pipe is closed early (plan | head)', async () => {
    const child = spawn(process.execPath, [BIN, 'plan', FIXTURE_REPO, '--service', 'api', '--to', 'v2'], { stdio: ['ignore', 'pipe', 'pipe'] });
    // closed before the first write: every write the plan makes meets a pipe without reader
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill();
        reject(new Error('opsbox did not exit within 60 s'));
      }, 60_000);
      child.on('exit', (exitCode) => {
        clearTimeout(timer);
        resolve(exitCode);
      });
    });
    expect(stderr).toBe('');
    expect(code).toBe(0);
  }, 70_000);
});
