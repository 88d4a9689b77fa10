import { describe, it, expect, beforeEach, afterEach } from '@jest/globals';
import { main } from '../../src/cli/main.js';
import { EXIT_INVALID, EXIT_OK, EXIT_USAGE } from '../../src/cli/io.js';
import { copyFixtureRepo, type FixtureRepo } from '../support/fixture-repo.js';
import { runCommand } from './support.js';

const run = (argv: string[]) => runCommand(main, argv, { env: {} });

describe('opsbox main', () => {
  it('prints the usage with every command for --help, -h and help', async () => {
    for (const flag of ['--help', '-h', 'help']) {
      const result = await run([flag]);
      expect(result.code).toBe(EXIT_OK);
      expect(result.stdout).toContain('Usage: opsbox <command>');
      for (const command of ['analyze', 'validate', 'plan']) expect(result.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
      expect(result.stderr).toBe('');
    }
  });

  it('exits 4 with the usage for an unknown command', async () => {
    const result = await run(['frobnicate', '--help']);
    expect(result.code).toBe(EXIT_USAGE);
    expect(result.stderr).toContain('unknown command "frobnicate"');
    expect(result.stderr).toContain('Usage: opsbox <command>');
    expect(result.stdout).toBe('');
  });

  it('exits 4 with the usage when no command is given', async () => {
    const result = await run([]);
    expect(result.code).toBe(EXIT_USAGE);
    expect(result.stderr).toContain('Usage: opsbox <command>');
    expect(result.stdout).toBe('');
  });

  it("passes --help on to the command's own usage", async () => {
    const validate = await run(['validate', '--help']);
    expect(validate.code).toBe(EXIT_OK);
    expect(validate.stdout).toContain('Usage: opsbox validate');
    const plan = await run(['plan', '--help']);
    expect(plan.code).toBe(EXIT_OK);
    expect(plan.stdout).toContain('Usage: opsbox plan');
  });
});

describe('opsbox main dispatches to validate and plan', () => {
  let repo: FixtureRepo;

  beforeEach(async () => {
    repo = await copyFixtureRepo();
  });

  afterEach(async () => {
    await repo.cleanup();
  });

  it('runs validate with the remaining arguments', async () => {
    const ok = await run(['validate', repo.dir]);
    expect(ok.code).toBe(EXIT_OK);
    expect(ok.stdout).toContain('ok  api:');
    expect(ok.stdout).toContain('ok  web:');

    await repo.apply({ file: '.github/opsbox.yml', replace: 'provider: nginx', with: 'provider: ngnix' });
    const broken = await run(['validate', repo.dir]);
    expect(broken.code).toBe(EXIT_INVALID);
    expect(broken.stdout).toContain('services.web.traffic.provider');
  });

  it('runs plan with the remaining arguments', async () => {
    const result = await run(['plan', repo.dir, '--service', 'web', '--to', '2.4.0']);
    expect(result.code).toBe(EXIT_OK);
    expect(result.stdout).toContain('plan for web: 2.3.0 → 2.4.0');
    expect(result.stdout).toContain('+    nginx.ingress.kubernetes.io/canary-weight: "20"');

    const missing = await run(['plan', repo.dir, '--service', 'web']);
    expect(missing.code).toBe(EXIT_USAGE);
  });
});
