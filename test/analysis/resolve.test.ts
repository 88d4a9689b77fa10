import { describe, it, expect } from '@jest/globals';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { AnalysisTemplateError } from '../../src/analysis/errors.js';
import { collectTemplates, resolveAnalysis, resolveTemplates } from '../../src/analysis/resolve.js';
import { catalogOf, loadTemplates, parseTemplateText, type LoadedTemplate } from '../../src/analysis/templates.js';
import { thrownBy } from './support.js';

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/analysis');

/** One AnalysisTemplate document with the given spec (YAML, indented under `spec:`). */
function template(name: string, spec: string, kind = 'AnalysisTemplate'): LoadedTemplate[] {
  const text = `apiVersion: argoproj.io/v1alpha1\nkind: ${kind}\nmetadata:\n  name: ${name}\nspec:\n${spec.replace(/^/gm, '  ')}\n`;
  return parseTemplateText(text, `${name}.yaml`);
}

/** `spec.metrics` with one metric "m": extra fields as YAML lines, and a provider block (YAML flow or block). */
function metricSpec(fields: string, provider = 'prometheus: {query: up}'): string {
  const extra = fields ? parse(fields) : {};
  return stringify({ metrics: [{ name: 'm', ...extra, provider: parse(provider) }] });
}

const rejection = (fn: () => unknown): AnalysisTemplateError => thrownBy(AnalysisTemplateError, fn);

describe('resolveAnalysis', () => {
  it('resolves a fixture template with step args, defaults and Argo defaults', async () => {
    const catalog = await loadTemplates(fixtures, ['library']);
    const { metrics, args } = resolveAnalysis(catalog, {
      templates: [{ templateName: 'success-rate' }, { templateName: 'latency', clusterScope: true }],
      args: [{ name: 'service', value: 'api' }, { name: 'unused', value: 'ignored' }],
    });
    expect(args).toEqual({ service: 'api', threshold: '0.5' });
    expect(metrics.map((m) => m.name)).toEqual(['success-rate', 'p99-latency']);
    const [success, latency] = metrics;
    expect(success).toMatchObject({
      interval: '30s',
      intervalMs: 30_000,
      count: 4,
      failureLimit: 1,
      inconclusiveLimit: 0,
      consecutiveErrorLimit: 4,
      consecutiveSuccessLimit: 0,
      dryRun: false,
      measurementRetention: 10,
      successCondition: 'result[0] >= 0.95',
      source: { file: 'library/templates.yaml', template: 'success-rate', kind: 'AnalysisTemplate' },
    });
    expect(success.prometheus).toEqual({
      address: 'http://prometheus.monitoring:9090',
      query: 'sum(rate(http_requests_total{service="api",code!~"5.."}[1m])) / sum(rate(http_requests_total{service="api"}[1m]))',
      timeoutMs: 30_000,
      headers: [],
      insecure: false,
      basicAuth: undefined,
      rangeQuery: undefined,
    });
    expect(latency.successCondition).toBe('all(result, {# < 0.5})');
    expect(latency.count).toBeUndefined();
  });

  it('names a missing template', async () => {
    const catalog = await loadTemplates(fixtures, ['library']);
    const error = rejection(() => resolveAnalysis(catalog, { templates: [{ templateName: 'nope' }] }));
    expect(error.code).toBe('template-not-found');
    expect(error.message).toContain('AnalysisTemplate "nope" not found in library; found "saturation", "success-rate"');
  });
});

describe('arguments', () => {
  const withArgs = (args: string) =>
    template('t', `args:\n${args}\n${metricSpec('interval: "{{args.interval}}"\ncount: "{{args.count}}"\nfailureLimit: "{{ args.limit }}"', 'prometheus:\n      query: up{job="{{args.job}}"}\n      address: "{{args.address}}"\n      headers: [{key: X-Scope, value: "{{args.tenant}}"}]')}`);

  const declared = '  - name: interval\n    value: 30s\n  - name: count\n    value: "5"\n  - name: limit\n    value: "2"\n  - name: job\n  - name: address\n    value: http://prom:9090\n  - name: tenant\n    value: team-a';

  it('substitutes {{args.x}} (with or without spaces) across the metric, incl. count, interval and limits', () => {
    const [metric] = resolveTemplates(withArgs(declared), { args: [{ name: 'job', value: 'api' }] }).metrics;
    expect(metric).toMatchObject({ intervalMs: 30_000, count: 5, failureLimit: 2 });
    expect(metric.prometheus).toMatchObject({ query: 'up{job="api"}', address: 'http://prom:9090', headers: [{ key: 'X-Scope', value: 'team-a' }] });
  });

  it('lets step args override template defaults', () => {
    const [metric] = resolveTemplates(withArgs(declared), {
      args: [
        { name: 'job', value: 'api' },
        { name: 'count', value: '7' },
      ],
    }).metrics;
    expect(metric.count).toBe(7);
  });

  it('reports an argument without a value', () => {
    const error = rejection(() => resolveTemplates(withArgs(declared)));
    expect(error.code).toBe('argument-missing');
    expect(error.message).toBe('t.yaml, template "t": argument "job" was not supplied; add it to the analysis step\'s args');
  });

  it('rejects an argument with both value and valueFrom', () => {
    const templates = template('t', `args:\n  - name: token\n    value: x\n    valueFrom: {secretKeyRef: {name: s, key: k}}\n${metricSpec('')}`);
    const error = rejection(() => resolveTemplates(templates));
    expect(error.code).toBe('argument-invalid');
    expect(error.message).toBe('t.yaml, template "t", field spec.args[0]: argument "token" has both value and valueFrom; keep one');
  });

  it('explains that valueFrom is not supported, unless the step supplies a value', () => {
    const templates = template('t', `args:\n  - name: token\n    valueFrom: {secretKeyRef: {name: s, key: k}}\n${metricSpec('')}`);
    expect(rejection(() => resolveTemplates(templates)).message).toContain('argument "token" takes its value from secretKeyRef (valueFrom), which is not supported here');
    expect(resolveTemplates(templates, { args: [{ name: 'token', value: 'abc' }] }).args).toEqual({ token: 'abc' });
    expect(rejection(() => resolveTemplates(templates, { args: [{ name: 'token', valueFrom: { fieldRef: {} } }] })).message).toContain(
      'step argument "token" uses valueFrom, which is not supported here',
    );
  });

  it('names an unresolved placeholder and where it is', () => {
    const templates = template('t', `args:\n  - name: service\n    value: api\n${metricSpec('successCondition: result[0] < {{args.threshold}}')}`);
    const error = rejection(() => resolveTemplates(templates));
    expect(error.code).toBe('placeholder-unresolved');
    expect(error.message).toBe(
      't.yaml, template "t", metric "m", field spec.metrics[0].successCondition: placeholder {{args.threshold}} has no argument "threshold" (arguments: service); declare it in spec.args',
    );
  });

  it('rejects templates run together that disagree on a default', () => {
    const a = template('a', `args: [{name: service, value: api}]\n${metricSpec('')}`);
    const b = template('b', `args: [{name: service, value: web}]\nmetrics: [{name: other, provider: {prometheus: {query: up}}}]`);
    expect(rejection(() => resolveTemplates([...a, ...b])).message).toContain('argument "service" has the default "web" here but "api" in template "a"');
  });
});

describe('metric validation', () => {
  const check = (fields: string, provider?: string) => rejection(() => resolveTemplates(template('t', metricSpec(fields, provider))));

  it('requires an interval when count > 1', () => {
    const error = check('count: 3');
    expect(error.message).toBe('t.yaml, template "t", metric "m", field spec.metrics[0].interval: count 3 needs an interval between the measurements; add interval (e.g. 1m)');
  });

  it('requires count >= failureLimit + consecutiveSuccessLimit and >= inconclusiveLimit', () => {
    expect(check('count: 3\ninterval: 1m\nfailureLimit: 2\nconsecutiveSuccessLimit: 2').message).toContain(
      'field spec.metrics[0].count: count (3) must be >= failureLimit (2) + consecutiveSuccessLimit (2)',
    );
    expect(check('count: 2\ninterval: 1m\ninconclusiveLimit: 3').message).toContain('count (2) must be >= inconclusiveLimit (3)');
    expect(() => resolveTemplates(template('t', metricSpec('count: 4\ninterval: 1m\nfailureLimit: 2\nconsecutiveSuccessLimit: 2')))).not.toThrow();
    expect(() => resolveTemplates(template('t', metricSpec('count: 2\ninterval: 1m\nfailureLimit: -1\nconsecutiveSuccessLimit: 2')))).not.toThrow();
  });

  it('accepts only the registered providers, exactly one', () => {
    expect(check('', 'datadog:\n        query: x').message).toBe(
      't.yaml, template "t", metric "m", field spec.metrics[0].provider.datadog: provider "datadog" is not supported; supported providers: prometheus, web, job',
    );
    expect(check('', 'job: {spec: {}}').message).toContain('spec.metrics[0].provider.job.spec.template: ');
    expect(check('', 'prometheus: {query: up}\nweb: {url: http://x}').message).toContain('exactly one provider per metric, found prometheus, web');
    expect(rejection(() => resolveTemplates(template('t', 'metrics: [{name: m, provider: {}}]'))).message).toContain('no provider; add provider.prometheus');
  });

  it('names unknown and invalid fields', () => {
    expect(check('sucessCondition: result > 1').message).toContain('spec.metrics[0].sucessCondition: unknown field "sucessCondition"');
    expect(check('interval: soon').message).toContain('spec.metrics[0].interval: invalid duration "soon"');
    expect(check('count: many').message).toContain('spec.metrics[0].count: expected an integer, got "many"');
    expect(check('failureLimit: -2').message).toContain('spec.metrics[0].failureLimit: must be -1 (off) or more');
    expect(check('', 'prometheus: {address: http://x}').message).toContain('spec.metrics[0].provider.prometheus.query: is required');
    expect(check('successCondition: 5').message).toContain('spec.metrics[0].successCondition: Invalid input: expected string, received number');
    expect(check('', 'prometheus: {query: up, step: 1m}').message).toContain('spec.metrics[0].provider.prometheus.step: unknown field "step"');
  });

  it('rejects a header fetch would refuse, naming the field and never the value', () => {
    const args = 'args:\n  - name: token\n    value: "line-one\\nline-two"';
    const error = rejection(() =>
      resolveTemplates(template('t', `${args}\n${metricSpec('', 'prometheus:\n      query: up\n      headers: [{key: X-Token, value: "{{args.token}}"}]')}`)),
    );
    expect(error.message).toContain('spec.metrics[0].provider.prometheus.headers[0].value: must be one line of printable Latin-1 characters');
    expect(error.message).not.toContain('line-one');
    expect(check('', 'prometheus: {query: up, headers: [{key: "X Token", value: v}]}').message).toContain(
      'spec.metrics[0].provider.prometheus.headers[0].key: must be an HTTP header name',
    );
  });

  it('checks conditions when the template is resolved; an empty one is no condition', () => {
    const [metric] = resolveTemplates(template('t', metricSpec('successCondition: ""\nfailureCondition: " "'))).metrics;
    expect(metric.successCondition).toBeUndefined();
    expect(metric.failureCondition).toBeUndefined();
    expect(check('successCondition: result[0] <').message).toMatch(/field spec\.metrics\[0\]\.successCondition: successCondition "result\[0\] <" is not valid: syntax error/);
  });

  it('checks rangeQuery expressions and rejects unsupported authentication', () => {
    expect(check('', 'prometheus:\n        query: up\n        rangeQuery: {start: yesterday, end: now(), step: 1m}').message).toContain(
      'field spec.metrics[0].provider.prometheus.rangeQuery.start: cannot evaluate "yesterday"',
    );
    expect(check('', 'prometheus:\n        query: up\n        authentication: {sigv4: {region: eu}}').message).toContain('authentication.sigv4 is not supported');
  });

  it('reads the prometheus options', () => {
    const [metric] = resolveTemplates(
      template(
        't',
        metricSpec(
          '',
          'prometheus:\n        query: up\n        timeout: 5\n        insecure: true\n        authentication: {basicAuth: {username: u, password: p}}\n        rangeQuery: {start: \'now() - duration("5m")\', end: now(), step: 1m}',
        ),
      ),
    ).metrics;
    expect(metric.prometheus).toMatchObject({ timeoutMs: 5000, insecure: true, basicAuth: { username: 'u', password: 'p' }, rangeQuery: { step: '1m' } });
  });

  it('requires unique metric names, also across templates', () => {
    const a = template('a', metricSpec(''));
    const b = template('b', metricSpec(''));
    expect(rejection(() => resolveTemplates([...a, ...b])).message).toBe(
      'b.yaml, template "b", metric "m": metric name "m" is used also in template "a" (a.yaml); metric names must be unique in one analysis',
    );
    const twice = template('t', 'metrics: [{name: m, provider: {prometheus: {query: up}}}, {name: m, provider: {prometheus: {query: up}}}]');
    expect(rejection(() => resolveTemplates(twice)).message).toContain('metric name "m" is used twice in this template');
  });
});

describe('the opsbox.dev/empty-result annotation', () => {
  const annotated = (value: string) =>
    parseTemplateText(
      `apiVersion: argoproj.io/v1alpha1\nkind: AnalysisTemplate\nmetadata:\n  name: t\n  annotations: {opsbox.dev/empty-result: ${value}}\nspec:\n${metricSpec('').replace(/^/gm, '  ')}\n`,
      't.yaml',
    );

  it('evaluate marks every metric of the template; no annotation keeps the default', () => {
    expect(resolveTemplates(annotated('evaluate')).metrics[0].emptyResult).toBe('evaluate');
    expect(resolveTemplates(annotated('error')).metrics[0].emptyResult).toBeUndefined();
    expect(resolveTemplates(template('t', metricSpec(''))).metrics[0].emptyResult).toBeUndefined();
  });

  it('rejects another value, naming the annotation', () => {
    const error = rejection(() => resolveTemplates(annotated('skip')));
    expect(error.message).toBe('t.yaml, template "t", field metadata.annotations["opsbox.dev/empty-result"]: annotation opsbox.dev/empty-result must be one of error, evaluate (got "skip")');
  });
});

describe('dryRun and measurementRetention', () => {
  const two = 'metrics: [{name: error-rate, provider: {prometheus: {query: up}}}, {name: latency, provider: {prometheus: {query: up}}}]';

  it('marks dry-run metrics by name or regular expression, merged across templates and the step', () => {
    const dry = (extra: string, step?: { metricName: string }[]) =>
      resolveTemplates(template('t', `${two}\n${extra}`), { dryRun: step }).metrics.map((m) => [m.name, m.dryRun]);
    expect(dry('dryRun: [{metricName: latency}]')).toEqual([['error-rate', false], ['latency', true]]);
    expect(dry('dryRun: [{metricName: ".*"}]')).toEqual([['error-rate', true], ['latency', true]]);
    expect(dry('', [{ metricName: 'error-rate' }])).toEqual([['error-rate', true], ['latency', false]]);
  });

  it('rejects a rule that matches no metric', () => {
    const error = rejection(() => resolveTemplates(template('t', `${two}\ndryRun: [{metricName: cpu}]`)));
    expect(error.message).toBe('t.yaml, template "t", field spec.dryRun[0]: metricName "cpu" matches no metric (metrics: error-rate, latency)');
  });

  it('sets measurement retention per metric (default 10)', () => {
    const metrics = resolveTemplates(template('t', `${two}\nmeasurementRetention: [{metricName: latency, limit: 3}]`)).metrics;
    expect(metrics.map((m) => m.measurementRetention)).toEqual([10, 3]);
  });

  it('merges several templates into one run', () => {
    const a = template('a', 'metrics: [{name: one, provider: {prometheus: {query: up}}}]\ndryRun: [{metricName: one}]');
    const b = template('b', 'metrics: [{name: two, provider: {prometheus: {query: up}}}]\nmeasurementRetention: [{metricName: two, limit: 2}]', 'ClusterAnalysisTemplate');
    const catalog = catalogOf([...a, ...b]);
    const resolved = resolveAnalysis(catalog, { templates: [{ templateName: 'a' }, { templateName: 'b', clusterScope: true }] });
    expect(resolved.metrics.map((m) => [m.name, m.dryRun, m.measurementRetention])).toEqual([
      ['one', true, 10],
      ['two', false, 2],
    ]);
    expect(resolved.templates).toEqual([
      { kind: 'AnalysisTemplate', name: 'a', file: 'a.yaml' },
      { kind: 'ClusterAnalysisTemplate', name: 'b', file: 'b.yaml' },
    ]);
  });
});

describe('spec.templates: templates that include other templates, as in Argo', () => {
  const m = (name: string) => `{name: ${name}, successCondition: "result < {{args.limit}}", provider: {prometheus: {query: "{{args.service}}_${name}"}}}`;
  const composite = template('canary-checks', 'templates: [{templateName: errors}, {templateName: latency, clusterScope: true}]\nargs: [{name: service}]');
  const errors = template('errors', `args: [{name: service}, {name: limit, value: "0.05"}]\nmetrics: [${m('errors')}]\ndryRun: [{metricName: errors}]\ntemplates: [{templateName: shared}]`);
  const latency = template('latency', `args: [{name: limit}]\nmetrics: [${m('latency')}]\nmeasurementRetention: [{metricName: latency, limit: 3}]`, 'ClusterAnalysisTemplate');
  const shared = template('shared', `args: [{name: service}]\nmetrics: [${m('saturation')}]`);
  const catalog = catalogOf([...composite, ...errors, ...latency, ...shared]);

  it('merges the metrics, args, dryRun and measurementRetention of every included template, depth first', () => {
    const { metrics, args, templates } = resolveAnalysis(catalog, { templates: [{ templateName: 'canary-checks' }], args: [{ name: 'service', value: 'api' }] });
    expect(templates.map((t) => t.name)).toEqual(['canary-checks', 'errors', 'shared', 'latency']);
    expect(args).toEqual({ service: 'api', limit: '0.05' });
    expect(metrics.map((metric) => [metric.name, metric.prometheus?.query, metric.dryRun, metric.measurementRetention])).toEqual([
      ['errors', 'api_errors', true, 10],
      ['saturation', 'api_saturation', false, 10],
      ['latency', 'api_latency', false, 3],
    ]);
    expect(metrics[2].source).toEqual({ file: 'latency.yaml', template: 'latency', kind: 'ClusterAnalysisTemplate' });
  });

  it('includes a template referenced twice once (Argo keeps the first)', () => {
    const both = collectTemplates(catalog, [{ templateName: 'canary-checks' }, { templateName: 'errors' }, { templateName: 'shared' }]);
    expect(both.map((t) => t.name)).toEqual(['canary-checks', 'errors', 'shared', 'latency']);
  });

  it('names a missing included template where it is referenced', () => {
    const lonely = catalogOf([...composite, ...errors, ...shared]);
    const error = rejection(() => resolveAnalysis(lonely, { templates: [{ templateName: 'canary-checks' }], args: [{ name: 'service', value: 'api' }] }));
    expect(error.code).toBe('template-not-found');
    expect(error.message).toBe(
      'canary-checks.yaml, template "canary-checks", field spec.templates[1]: ClusterAnalysisTemplate "latency" not found; found no ClusterAnalysisTemplate',
    );
  });

  it('refuses a cycle, and templates passed without those they include', () => {
    const a = template('a', 'templates: [{templateName: b}]');
    const b = template('b', 'templates: [{templateName: a}]\nmetrics: [{name: m, provider: {prometheus: {query: up}}}]');
    const cycle = rejection(() => resolveAnalysis(catalogOf([...a, ...b]), { templates: [{ templateName: 'a' }] }));
    expect(cycle.message).toBe('b.yaml, template "b": spec.templates makes a cycle ("a" → "b" → "a"); a template cannot include itself');
    const partial = rejection(() => resolveTemplates(b));
    expect(partial.message).toBe('b.yaml, template "b", field spec.templates[0]: AnalysisTemplate "a" is referenced but was not loaded with this template; load the file or folder that defines it');
  });

  it('refuses a metric name used twice, and two dryRun or retention rules for one metric (Argo\'s checks)', () => {
    const twin = template('twin', `metrics: [${m('errors')}]`);
    const withTwin = template('with-twin', 'templates: [{templateName: errors}, {templateName: twin}]');
    const duplicate = rejection(() => resolveAnalysis(catalogOf([...withTwin, ...errors, ...shared, ...twin]), { templates: [{ templateName: 'with-twin' }], args: [{ name: 'service', value: 'api' }] }));
    expect(duplicate.message).toContain('metric name "errors" is used also in template "errors" (errors.yaml)');

    const rules = rejection(() =>
      resolveAnalysis(catalog, { templates: [{ templateName: 'canary-checks' }], args: [{ name: 'service', value: 'api' }], dryRun: [{ metricName: 'errors' }] }),
    );
    expect(rules.message).toBe('field dryRun[0]: a second dryRun rule for metricName "errors" (the first is in template "errors" spec.dryRun[0]); keep one');

    const doubleRetention = template('r', `metrics: [{name: x, provider: {prometheus: {query: up}}}]\nmeasurementRetention: [{metricName: x, limit: 2}, {metricName: x, limit: 3}]`);
    expect(rejection(() => resolveTemplates(doubleRetention)).message).toContain('a second measurementRetention rule for metricName "x"');
  });

  it('requires a metric somewhere: a template needs metrics of its own or included templates', () => {
    const error = catch_(() => template('empty', 'templates: []'));
    expect(error.message).toBe('empty.yaml, template "empty": spec.metrics: needs at least one metric');
  });
});

function catch_(fn: () => unknown): AnalysisTemplateError {
  return rejection(fn);
}
