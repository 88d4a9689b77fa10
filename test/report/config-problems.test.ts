import { describe, expect, it } from '@jest/globals';
import { renderConfigProblems } from '../../src/report/render.js';
import { tableRows } from './markdown-checks.js';

const problems = [
  { file: 'analysis/error-rate.yaml', key: 'spec.metrics[0].successCondition', message: 'unknown name "reslt" in condition | check the spelling', line: 9 },
  { file: '.github/opsbox.yml', key: 'services.api.steps[2].setWeight', message: 'must be between 0 and 100', line: 14 },
  { file: '.github/opsbox.yml', key: '', message: 'not valid YAML: unexpected <EOF>', line: 3, column: 7 },
];

describe('config problems', () => {
  it('lists every problem with file, line, key and message, by file and line', () => {
    const rows = tableRows(renderConfigProblems(problems), 'Where');
    expect(rows).toEqual([
      ['Where', 'Key', 'Problem'],
      ['`.github/opsbox.yml:3:7`', '(whole file)', 'not valid YAML: unexpected \\<EOF>'],
      ['`.github/opsbox.yml:14`', '`services.api.steps[2].setWeight`', 'must be between 0 and 100'],
      ['`analysis/error-rate.yaml:9`', '`spec.metrics[0].successCondition`', 'unknown name "reslt" in condition \\| check the spelling'],
    ]);
  });

  it('says what to do', () => {
    const body = renderConfigProblems(problems);
    expect(body).toContain('### ⚠️ OpsBox Canary cannot use this configuration');
    expect(body).toContain('3 problems to fix:');
    expect(body).toContain('**What to do:** change each key at the line shown');
    expect(body).toContain('`npx opsbox validate`');
  });

  it('links each file at its line when given where the files are', () => {
    const body = renderConfigProblems(problems.slice(1, 2), { blobUrl: 'https://github.com/acme/manifests/blob/0a1b2c3' });
    expect(tableRows(body, 'Where')[1][0]).toBe('[`.github/opsbox.yml:14`](https://github.com/acme/manifests/blob/0a1b2c3/.github/opsbox.yml#L14)');
  });

  it('works without line numbers', () => {
    const rows = tableRows(renderConfigProblems([{ file: '.github/opsbox.yml', key: 'services', message: 'needs at least one service' }]), 'Where');
    expect(rows[1]).toEqual(['`.github/opsbox.yml`', '`services`', 'needs at least one service']);
  });

  it('says so when there is nothing to fix', () => {
    expect(renderConfigProblems([])).toContain('### ✅ The OpsBox Canary configuration has no problems');
  });
});
