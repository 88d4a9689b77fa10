import { describe, it, expect, beforeEach, afterEach } from '@jest/globals';
import { applyPatch, parsePatch, type StructuredPatch } from 'diff';
import { planCommand } from '../../src/cli/plan.js';
import { EXIT_INVALID, EXIT_OK, EXIT_USAGE } from '../../src/cli/io.js';
import { copyFixtureRepo, FIXTURE_REPO, snapshotTree, type FixtureRepo } from '../support/fixture-repo.js';
import { runCommand } from './support.js';

const plan = (argv: string[]) => runCommand(planCommand, argv, { env: {} });

interface Section {
  title: string;
  commit?: string;
  /** The raw text after the title line. */
  body: string;
  patches: StructuredPatch[];
}

/** Splits the plan output into its `## ...` sections and parses each section's diffs. */
function sections(output: string): Section[] {
  return output
    .split(/^## /m)
    .slice(1)
    .map((chunk) => {
      const newline = chunk.indexOf('\n');
      const title = chunk.slice(0, newline);
      const body = chunk.slice(newline + 1);
      const commit = /^commit: (.*)$/m.exec(body)?.[1];
      const patches = body.includes('\n--- a/') ? parsePatch(body.slice(body.indexOf('--- a/'))) : [];
      return { title, commit, body, patches };
    });
}

/** The `+`/`-` lines of a section's diff text, headers excluded, in output order. */
function changedLines(section: Section): string[] {
  return section.body
    .split('\n')
    .filter((line) => /^[+-]/.test(line) && !/^(---|\+\+\+) [ab]\//.test(line));
}

/** `path → changed lines` of a section, from the parsed patches. */
function changesByFile(section: Section): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const patch of section.patches) {
    expect(patch.oldFileName).toBe(`a/${patch.newFileName?.slice(2)}`);
    out[patch.newFileName!.slice(2)] = patch.hunks.flatMap((hunk) => hunk.lines.filter((line) => line.startsWith('+') || line.startsWith('-')));
  }
  return out;
}

/** Applies every section's diffs in order to the fixture's files; fails if a diff does not apply. */
function applyAll(start: Map<string, string>, list: Section[]): Map<string, string> {
  const files = new Map(start);
  for (const section of list) {
    for (const patch of section.patches) {
      const file = patch.newFileName!.slice(2);
      const before = files.get(file);
      expect(before).toBeDefined();
      const after = applyPatch(before!, patch);
      expect(after).not.toBe(false);
      files.set(file, after as string);
    }
  }
  return files;
}

const WEIGHT_OR_IMAGE = [
  /^[+-] +weight: \d{1,3}( # (stable|canary))?$/,
  /^[+-] +nginx\.ingress\.kubernetes\.io\/canary-weight: "\d{1,3}"$/,
  /^[+-] +image: "?ghcr\.io\/acme\/(api|web):[\w.@:-]+"?( # .*)?$/,
];

let repo: FixtureRepo;

beforeEach(async () => {
  repo = await copyFixtureRepo();
});

afterEach(async () => {
  await repo.cleanup();
});

describe('opsbox plan: the istio service api', () => {
  it('prints one diff per setWeight step and ends with the promotion commit', async () => {
    const run = await plan([repo.dir, '--service', 'api', '--to', 'v2']);
    expect(run.code).toBe(EXIT_OK);
    expect(run.stderr).toBe('');
    expect(run.stdout.startsWith('plan for api: v1 → v2 (4 steps)\n')).toBe(true);

    const list = sections(run.stdout);
    expect(list.map((s) => s.title)).toEqual([
      'step 1: setWeight 10%',
      'step 2: analysis error-rate',
      'step 3: setWeight 50%',
      'step 4: analysis error-rate',
      'promotion',
    ]);
    expect(list.map((s) => s.commit)).toEqual([
      'canary(api): weight 10% → v2',
      undefined,
      'canary(api): weight 50% → v2',
      undefined,
      'canary(api): promote v2 to stable, weight 0%',
    ]);
    expect(list[1].body).toContain('(no commit)');
    expect(list[1].patches).toEqual([]);
    expect(list[3].patches).toEqual([]);
  });

  it('changes exactly the weight lines, then the stable image and the weights back to 100/0', async () => {
    const list = sections((await plan([repo.dir, '--service', 'api', '--to', 'v2'])).stdout);
    const [step10, , step50, , promotion] = list;

    expect(changesByFile(step10)).toEqual({
      'apps/api/virtualservice.yaml': [
        '-          weight: 100 # stable',
        '+          weight: 90 # stable',
        '-          weight: 0 # canary',
        '+          weight: 10 # canary',
      ],
    });
    expect(changesByFile(step50)).toEqual({
      'apps/api/virtualservice.yaml': [
        '-          weight: 90 # stable',
        '+          weight: 50 # stable',
        '-          weight: 10 # canary',
        '+          weight: 50 # canary',
      ],
    });
    expect(changesByFile(promotion)).toEqual({
      'apps/api/stable.yaml': ['-          image: ghcr.io/acme/api:v1', '+          image: ghcr.io/acme/api:v2'],
      'apps/api/virtualservice.yaml': [
        '-          weight: 50 # stable',
        '+          weight: 100 # stable',
        '-          weight: 50 # canary',
        '+          weight: 0 # canary',
      ],
    });
  });

  it('prints no changed line other than weight and image tag lines', async () => {
    const run = await plan([repo.dir, '--service', 'api', '--to', 'v2']);
    const lines = sections(run.stdout).flatMap(changedLines);
    expect(lines).toHaveLength(14);
    for (const line of lines) expect(WEIGHT_OR_IMAGE.some((pattern) => pattern.test(line))).toBe(true);
    // The canary's own files are never part of a rollout commit.
    expect(run.stdout).not.toContain('apps/api/canary.yaml');
  });

  it('prints diffs that apply in order and leave stable on v2 with the original weights', async () => {
    const start = await snapshotTree(FIXTURE_REPO);
    const list = sections((await plan([repo.dir, '--service', 'api', '--to', 'v2'])).stdout);
    const end = applyAll(start, list);

    expect(end.get('apps/api/virtualservice.yaml')).toBe(start.get('apps/api/virtualservice.yaml'));
    const stable = start.get('apps/api/stable.yaml')!;
    expect(end.get('apps/api/stable.yaml')).toBe(stable.replace('image: ghcr.io/acme/api:v1\n', 'image: ghcr.io/acme/api:v2\n'));
    expect(end.get('apps/api/stable.yaml')).toContain('image: envoyproxy/envoy:v1.31.0');
    for (const [file, content] of start) {
      if (file !== 'apps/api/stable.yaml') expect([file, end.get(file)]).toEqual([file, content]);
    }
  });

  it('keeps a digest in the promoted image reference', async () => {
    const digest = `sha256:${'0123456789abcdef'.repeat(4)}`;
    const run = await plan([repo.dir, '--service', 'api', '--to', `v2@${digest}`]);
    expect(run.code).toBe(EXIT_OK);
    const promotion = sections(run.stdout).at(-1)!;
    expect(changesByFile(promotion)['apps/api/stable.yaml']).toEqual([
      '-          image: ghcr.io/acme/api:v1',
      `+          image: ghcr.io/acme/api:v2@${digest}`,
    ]);
  });
});

describe('opsbox plan: the nginx service web', () => {
  it('writes the canary-weight annotation as a quoted string and promotes web-stable', async () => {
    const run = await plan([repo.dir, '--service', 'web', '--to', '2.4.0']);
    expect(run.code).toBe(EXIT_OK);
    expect(run.stderr).toBe('');
    const list = sections(run.stdout);
    expect(list.map((s) => s.title)).toEqual(['step 1: setWeight 20%', 'step 2: pause 1m', 'step 3: setWeight 100%', 'promotion']);
    expect(list.map((s) => s.commit)).toEqual([
      'canary(web): weight 20% → 2.4.0',
      undefined,
      'canary(web): weight 100% → 2.4.0',
      'canary(web): promote 2.4.0 to stable, weight 0%',
    ]);

    const annotation = 'nginx.ingress.kubernetes.io/canary-weight';
    expect(changesByFile(list[0])).toEqual({ 'apps/web/ingress.yaml': [`-    ${annotation}: "0"`, `+    ${annotation}: "20"`] });
    expect(changesByFile(list[2])).toEqual({ 'apps/web/ingress.yaml': [`-    ${annotation}: "20"`, `+    ${annotation}: "100"`] });
    expect(changesByFile(list[3])).toEqual({
      'apps/web/deployments.yaml': ['-          image: "ghcr.io/acme/web:2.3.0"', '+          image: "ghcr.io/acme/web:2.4.0"'],
      'apps/web/ingress.yaml': [`-    ${annotation}: "100"`, `+    ${annotation}: "0"`],
    });

    const lines = list.flatMap(changedLines);
    expect(lines).toHaveLength(8);
    for (const line of lines) expect(WEIGHT_OR_IMAGE.some((pattern) => pattern.test(line))).toBe(true);
    // The `canary: "true"` annotation is never touched.
    expect(lines.join('\n')).not.toContain('kubernetes.io/canary:');
  });

  it('changes the image of web-stable, not of web-canary, in the shared file', async () => {
    const start = await snapshotTree(FIXTURE_REPO);
    const end = applyAll(start, sections((await plan([repo.dir, '--service', 'web', '--to', '2.4.0'])).stdout));
    const deployments = start.get('apps/web/deployments.yaml')!;
    const [stableDoc, canaryDoc] = end.get('apps/web/deployments.yaml')!.split('\n---\n');
    expect(stableDoc).toContain('name: web-stable');
    expect(stableDoc).toContain('image: "ghcr.io/acme/web:2.4.0"');
    expect(canaryDoc).toContain('name: web-canary');
    expect(canaryDoc).toContain('image: "ghcr.io/acme/web:2.3.0"');
    expect(end.get('apps/web/deployments.yaml')).toBe(deployments.replace('web:2.3.0"', 'web:2.4.0"'));
    expect(end.get('apps/web/ingress.yaml')).toBe(start.get('apps/web/ingress.yaml'));
  });
});

describe('opsbox plan writes nothing', () => {
  it('leaves every file of the checkout as it was', async () => {
    const before = await repo.snapshot();
    expect((await plan([repo.dir, '--service', 'api', '--to', 'v2'])).code).toBe(EXIT_OK);
    expect((await plan([repo.dir, '--service', 'web', '--to', '2.4.0'])).code).toBe(EXIT_OK);
    expect(await repo.snapshot()).toEqual(before);
  });

  it('leaves the fixture repository itself as it was', async () => {
    const before = await snapshotTree(FIXTURE_REPO);
    expect((await plan([FIXTURE_REPO, '--service', 'api', '--to', 'v2'])).code).toBe(EXIT_OK);
    expect(await snapshotTree(FIXTURE_REPO)).toEqual(before);
  });
});

describe('opsbox plan: arguments and errors', () => {
  it('prints its usage for --help and exits 0', async () => {
    for (const flag of ['--help', '-h']) {
      const run = await plan([flag]);
      expect(run.code).toBe(EXIT_OK);
      expect(run.stdout).toContain('Usage: opsbox plan [DIR] --service NAME --to TAG');
      expect(run.stderr).toBe('');
    }
  });

  it('exits 4 with the usage when --to is missing', async () => {
    const run = await plan([repo.dir, '--service', 'api']);
    expect(run.code).toBe(EXIT_USAGE);
    expect(run.stderr).toContain('--to');
    expect(run.stderr).toContain('Usage: opsbox plan');
    expect(run.stdout).toBe('');
  });

  it('exits 4 when --service is missing, on an unknown option and on two folders', async () => {
    for (const argv of [
      [repo.dir, '--to', 'v2'],
      [repo.dir, '--service', 'api', '--to', 'v2', '--bogus'],
      [repo.dir, repo.dir, '--service', 'api', '--to', 'v2'],
    ]) {
      const run = await plan(argv);
      expect([argv, run.code]).toEqual([argv, EXIT_USAGE]);
      expect(run.stderr).toContain('Usage: opsbox plan');
      expect(run.stdout).toBe('');
    }
  });

  it('exits 4 with a usage error, before any diff, when --to is not a version', async () => {
    const reference = await plan([repo.dir, '--service', 'api', '--to', 'ghcr.io/org/app:1.2.3']);
    expect(reference.code).toBe(EXIT_USAGE);
    expect(reference.stdout).toBe('');
    expect(reference.stderr).toContain('opsbox plan: --to takes the version only, not an image reference: for ghcr.io/org/app:1.2.3 pass --to 1.2.3\n');
    const spaced = await plan([repo.dir, '--service', 'api', '--to', 'bad tag']);
    expect(spaced.code).toBe(EXIT_USAGE);
    expect(spaced.stdout).toBe('');
    expect(spaced.stderr).toContain('opsbox plan: --to "bad tag" is not an image version; use a tag (v2), a digest (sha256:…) or both (v2@sha256:…)\n');
    expect(spaced.stderr).toContain('Usage: opsbox plan');
  });

  it('says that no rollout would start when --to is the stable version', async () => {
    const run = await plan([repo.dir, '--service', 'api', '--to', 'v1']);
    expect(run.code).toBe(EXIT_OK);
    expect(run.stdout).toBe('no rollout would start: v1 is already the stable version of api, and a merge that brings the canary to it starts nothing.\n');
    expect(run.stderr).toBe('');
  });

  it('exits 1 with a message naming an unknown service', async () => {
    const run = await plan([repo.dir, '--service', 'nope', '--to', 'v2']);
    expect(run.code).toBe(EXIT_INVALID);
    expect(run.stderr).toContain('"nope"');
    expect(run.stderr).toContain('services.nope');
    expect(run.stderr).toContain('configured: api, web');
    expect(run.stdout).toBe('');
  });

  it('exits 1 in a folder without .github/opsbox.yml', async () => {
    await repo.apply({ file: '.github/opsbox.yml', remove: true });
    const run = await plan([repo.dir, '--service', 'api', '--to', 'v2']);
    expect(run.code).toBe(EXIT_INVALID);
    expect(run.stderr).toContain('.github/opsbox.yml: not found');
    expect(run.stdout).toBe('');
  });

  it('exits 1 and prints no diff when the service does not pass validation', async () => {
    await repo.apply({ file: 'apps/api/virtualservice.yaml', replace: 'host: api-canary', with: 'host: api-preview' });
    const run = await plan([repo.dir, '--service', 'api', '--to', 'v2']);
    expect(run.code).toBe(EXIT_INVALID);
    expect(run.stderr).toContain('apps/api/virtualservice.yaml');
    expect(run.stderr).toContain('api-preview');
    expect(run.stdout).toBe('');
  });

  it('exits 1 with the located problem when the config is invalid', async () => {
    await repo.apply({ file: '.github/opsbox.yml', replace: 'provider: istio', with: 'provider: istioo' });
    const at = await repo.position('.github/opsbox.yml', 'istioo');
    const run = await plan([repo.dir, '--service', 'api', '--to', 'v2']);
    expect(run.code).toBe(EXIT_INVALID);
    expect(run.stderr).toContain(`.github/opsbox.yml:${at.line}:${at.column}: services.api.traffic.provider: expected one of`);
    expect(run.stdout).toBe('');
  });
});
