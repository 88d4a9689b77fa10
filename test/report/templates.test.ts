import { describe, expect, it } from '@jest/globals';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createReportRenderer } from '../../src/report/render.js';
import { compileTemplates, DEFAULT_TEMPLATE_DIR, PARTIAL_NAMES, ReportTemplateError, TEMPLATE_NAMES } from '../../src/report/templates.js';

/** A copy of the shipped templates that a test may break. */
function templateCopy(): { dir: string; url: URL } {
  const dir = mkdtempSync(join(tmpdir(), 'opsbox-templates-'));
  cpSync(DEFAULT_TEMPLATE_DIR, dir, { recursive: true });
  return { dir, url: pathToFileURL(`${dir}/`) };
}

describe('report templates', () => {
  it('compiles every shipped template', () => {
    const compiled = compileTemplates();
    expect(Object.keys(compiled).sort()).toEqual([...TEMPLATE_NAMES].sort());
  });

  it.each([...TEMPLATE_NAMES.map((name) => `${name}.md.hbs`), ...PARTIAL_NAMES.map((name) => `_${name}.md.hbs`)])(
    'fails clearly, naming the path, when %s is missing',
    (file) => {
      const { dir, url } = templateCopy();
      try {
        rmSync(join(dir, file));
        expect(() => createReportRenderer({ templateDir: url })).toThrow(ReportTemplateError);
        expect(() => createReportRenderer({ templateDir: url })).toThrow(`report template ${join(dir, file)} does not exist`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  it('fails clearly, naming the file, when a template is not valid Handlebars', () => {
    const { dir, url } = templateCopy();
    try {
      writeFileSync(join(dir, 'failure-comment.md.hbs'), '{{#if failure}}\nunclosed\n');
      expect(() => createReportRenderer({ templateDir: url })).toThrow(/report template .*failure-comment\.md\.hbs is not valid Handlebars/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
