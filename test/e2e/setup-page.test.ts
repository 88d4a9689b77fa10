import { afterAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from '../support/free-port.js';

/** `npm start` without credentials: Probot serves its setup page, which registers the app from app.yml. */
describe('npm start without credentials', () => {
  let child: ChildProcess | undefined;

  afterAll(() => {
    if (child?.pid) process.kill(-child.pid, 'SIGKILL');
  });

  it('serves the setup page on /probot', async () => {
    const port = await freePort();
    const env: Record<string, string | undefined> = { ...process.env, HOST: '127.0.0.1', PORT: String(port), NODE_ENV: 'development', LOG_LEVEL: 'warn' };
    for (const name of ['APP_ID', 'PRIVATE_KEY', 'PRIVATE_KEY_PATH', 'WEBHOOK_SECRET', 'NODE_OPTIONS']) delete env[name];
    child = spawn('npm', ['start'], { env: env as NodeJS.ProcessEnv, detached: true, stdio: 'ignore' });

    let status = 0;
    let body = '';
    for (let attempt = 0; attempt < 300 && status !== 200; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 300));
      try {
        const response = await fetch(`http://127.0.0.1:${port}/probot`);
        status = response.status;
        body = await response.text();
      } catch {
        // not listening yet
      }
    }
    expect(status).toBe(200);
    expect(body).toContain('Register GitHub App');
  }, 120_000);
});
