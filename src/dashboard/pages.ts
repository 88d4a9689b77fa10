/**
 * The dashboard's HTML: Handlebars templates `templates/dashboard-*.html.hbs` in an instance of
 * their own with HTML escaping on (the report templates turn it off for Markdown), so every
 * `{{value}}` from a rollout is escaped. Links to other sites go through `safeUrl`.
 */
import { readFileSync } from 'node:fs';
import Handlebars from 'handlebars';
import { DEFAULT_TEMPLATE_DIR } from '../report/templates.js';
import { formatTimestamp } from '../report/time-format.js';

export const PAGE_NAMES = ['dashboard-list', 'dashboard-detail'] as const;
export type PageName = (typeof PAGE_NAMES)[number];

/** http(s) URLs as they are; anything else (a `javascript:` URL) becomes an inert `#`. */
export function safeUrl(value: unknown): string {
  return typeof value === 'string' && /^https?:\/\//i.test(value) ? value : '#';
}

export type Pages = Record<PageName, Handlebars.TemplateDelegate>;

export function compilePages(dir: URL = DEFAULT_TEMPLATE_DIR): Pages {
  const env = Handlebars.create();
  env.registerHelper('safeUrl', safeUrl);
  // ISO times of the JSON shown as the comments show them: `2026-05-01 12:00:03 UTC`
  env.registerHelper('utc', (value: unknown) => (typeof value === 'string' && Number.isFinite(Date.parse(value)) ? formatTimestamp(Date.parse(value)) : ''));
  env.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  env.registerPartial('dashboard-head', readFileSync(new URL('_dashboard-head.html.hbs', dir), 'utf8'));
  const pages = {} as Pages;
  for (const name of PAGE_NAMES) {
    pages[name] = env.compile(readFileSync(new URL(`${name}.html.hbs`, dir), 'utf8'), { strict: false, preventIndent: true });
  }
  return pages;
}

/** A static file of the dashboard (its stylesheet and script), read once. */
export function readAsset(name: 'dashboard.css' | 'dashboard.js', dir: URL = DEFAULT_TEMPLATE_DIR): string {
  return readFileSync(new URL(`dashboard/${name}`, dir), 'utf8');
}
