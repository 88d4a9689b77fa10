/**
 * deploy/Dockerfile is not built here (no container engine runs in CI): these checks keep it in step
 * with the build. Its entrypoint must be the file `npm run build` writes for src/server.ts, the same
 * one `npm start` runs.
 */
import { describe, expect, it } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

async function dockerfile(): Promise<string> {
  // continuation lines joined, so every instruction is one line
  return (await readFile(path.join(ROOT, 'deploy/Dockerfile'), 'utf8')).replace(/\\\n/g, ' ');
}

/** What `npm run build` (tsc -p tsconfig.build.json) writes for a source file, relative to the root. */
function buildOutputOf(source: string): string[] {
  const scripts = JSON.parse(ts.sys.readFile(path.join(ROOT, 'package.json'))!).scripts as Record<string, string>;
  const project = scripts.build.match(/tsc -p (\S+)/)?.[1];
  if (!project) throw new Error(`npm run build is not "tsc -p <config>": ${scripts.build}`);
  const config = ts.getParsedCommandLineOfConfigFile(path.join(ROOT, project), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined });
  if (!config) throw new Error(`${project} could not be read`);
  expect(config.fileNames).toContain(path.join(ROOT, source));
  return ts.getOutputFileNames(config, path.join(ROOT, source), false).map((file) => path.relative(ROOT, file));
}

describe('deploy/Dockerfile', () => {
  it('runs the file npm run build makes of src/server.ts, as npm start does', async () => {
    const [compiled] = buildOutputOf('src/server.ts').filter((file) => file.endsWith('.js'));
    expect(compiled).toBe(path.join('dist', 'src', 'server.js'));
    const entrypoint = (await dockerfile()).match(/^ENTRYPOINT (\[.*\])$/m)?.[1];
    expect(JSON.parse(entrypoint!)).toEqual(['node', compiled]);
    const start = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')).scripts.start;
    expect(start).toBe(`node ${compiled}`);
    // the runtime stage copies the build output that holds it
    expect(await dockerfile()).toMatch(new RegExp(`^COPY --from=build /app/${path.dirname(compiled)} \\./${path.dirname(compiled)}$`, 'm'));
  });

  it('builds in stages, runs as a non-root user with /data as a volume, and checks /healthz', async () => {
    const text = await dockerfile();
    const stages = [...text.matchAll(/^FROM \S+(?: AS (\S+))?$/gm)].map((m) => m[1] ?? 'runtime');
    expect(stages).toEqual(['build', 'dependencies', 'runtime']);
    const runtime = text.slice(text.lastIndexOf('\nFROM '));
    expect(text).toMatch(/RUN npm ci --no-audit --no-fund\n[\s\S]*RUN npm run build/);
    expect(text).toMatch(/npm ci --omit=dev/);
    expect(runtime).toMatch(/^USER node$/m);
    expect(runtime).toMatch(/OPSBOX_DATA_DIR=\/data/);
    expect(runtime).toMatch(/^VOLUME \["\/data"\]$/m);
    expect(runtime).toMatch(/^HEALTHCHECK .*\/healthz/m);
    // the templates the reports are rendered from are found beside dist/ (src/report/templates.ts)
    expect(runtime).toMatch(/^COPY templates \.\/templates$/m);
  });
});
