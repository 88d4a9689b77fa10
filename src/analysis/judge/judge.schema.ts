/**
 * Schema of a CanaryJudge (opsbox.dev/v1alpha1): canary and baseline queries compared
 * statistically. Like AnalysisTemplate metrics, the spec is validated after `{{args.*}}`
 * substitution, so numbers may be written as strings ("{{args.tolerance}}").
 */
import { z } from 'zod';
import { parseDuration } from '../../util/duration.js';
import { prometheusProviderSchema, templateArgSchema } from '../template.schema.js';

export const JUDGE_API_VERSION = 'opsbox.dev/v1alpha1';
export const JUDGE_KIND = 'CanaryJudge';

const nonEmpty = z.string().trim().min(1, 'must not be empty');

/** A number, or a string holding one (after argument substitution). */
const numberLike = z.union([z.number(), z.string()]).transform((value, ctx) => {
  const number = typeof value === 'number' ? value : value.trim() === '' ? Number.NaN : Number(value);
  if (!Number.isFinite(number)) {
    ctx.addIssue({ code: 'custom', message: `expected a number, got ${JSON.stringify(value)}` });
    return z.NEVER;
  }
  return number;
});

const duration = z.union([z.string(), z.number()]).transform((value, ctx) => {
  try {
    const ms = parseDuration(value);
    if (ms <= 0) throw new Error('must be longer than 0s');
    return { text: String(value), ms };
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
    return z.NEVER;
  }
});

const booleanLike = z.union([z.boolean(), z.enum(['true', 'false'])]).transform((value) => value === true || value === 'true');

/** The document before substitution: header checked, spec kept raw except its arguments. */
export const judgeDocumentSchema = z.object({
  apiVersion: z.literal(JUDGE_API_VERSION),
  kind: z.literal(JUDGE_KIND),
  metadata: z.object({ name: nonEmpty }),
  spec: z.looseObject({
    args: z.array(templateArgSchema).default([]),
  }),
});

export const judgeMetricSchema = z.strictObject({
  name: nonEmpty,
  canary: nonEmpty,
  baseline: nonEmpty,
  test: z.enum(['mann-whitney', 'tail']).default('mann-whitney'),
  quantile: numberLike.pipe(z.number().gt(0, 'must be above 0').lt(1, 'must be below 1')).default(0.95),
  direction: z.enum(['increase', 'decrease', 'either']).default('increase'),
  tolerance: numberLike.pipe(z.number().min(0, 'must not be negative')).default(0.25),
  minEffect: numberLike.pipe(z.number().min(0, 'must not be negative')).default(0),
  critical: booleanLike.default(false),
  weight: numberLike.pipe(z.number().gt(0, 'must be above 0')).default(1),
  minSamples: numberLike.pipe(z.number().int('must be a whole number').min(1, 'must be at least 1')).default(10),
  noData: z.enum(['pass', 'fail', 'inconclusive']).default('inconclusive'),
});

export const judgeSpecSchema = z.strictObject({
  args: z.array(templateArgSchema).default([]),
  interval: duration.default({ text: '1m', ms: 60_000 }),
  count: numberLike.pipe(z.number().int('must be a whole number').min(1, 'must be at least 1')).default(3),
  failureLimit: numberLike.pipe(z.number().int('must be a whole number').min(0, 'must not be negative')).default(0),
  lookback: duration.default({ text: '5m', ms: 300_000 }),
  step: duration.default({ text: '15s', ms: 15_000 }),
  confidence: numberLike.pipe(z.number().gt(0.5, 'must be above 0.5').lt(1, 'must be below 1')).default(0.98),
  thresholds: z
    .strictObject({
      pass: numberLike.pipe(z.number().min(0).max(100)).default(95),
      marginal: numberLike.pipe(z.number().min(0).max(100)).default(75),
    })
    .default({ pass: 95, marginal: 75 }),
  provider: z.strictObject({ prometheus: prometheusProviderSchema.omit({ query: true, rangeQuery: true }) }).optional(),
  metrics: z.array(judgeMetricSchema).min(1, 'needs at least one metric'),
  dryRun: z.array(z.strictObject({ metricName: nonEmpty })).default([]),
});

export type JudgeDocument = z.infer<typeof judgeDocumentSchema>;
export type JudgeSpec = z.infer<typeof judgeSpecSchema>;
export type JudgeMetricSpec = z.infer<typeof judgeMetricSchema>;
