/**
 * The schema of `.github/opsbox.yml` (SPEC §1). Defaults live here so every reader of the
 * config sees the same values.
 */
import { z } from 'zod';
import { parseDuration } from '../util/duration.js';

export const CONFIG_PATH = '.github/opsbox.yml';

export const TRAFFIC_PROVIDERS = ['istio', 'gateway-api', 'smi', 'nginx', 'traefik', 'replicas', 'yaml-path'] as const;
export type TrafficProviderName = (typeof TRAFFIC_PROVIDERS)[number];

const nonEmpty = z.string().trim().min(1, 'must not be empty');

/** `30s`, `5m`, `1h`, or a bare number of seconds. */
export const durationSchema = z.union([z.string(), z.number()]).superRefine((value, ctx) => {
  try {
    parseDuration(value);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
  }
});

/** Where an image tag lives: a workload or kustomization found by `image`, or an explicit YAML path. */
export const imageLocationSchema = z.strictObject({
  file: nonEmpty,
  /** Dotted path (`image.tag`, `api.image`, `spec.images[0]`) for Helm values and other files. */
  path: nonEmpty.optional(),
  /** metadata.name of the document when the file has several. */
  name: nonEmpty.optional(),
});

const backendTraffic = {
  file: nonEmpty,
  name: nonEmpty.optional(),
  stable: nonEmpty,
  canary: nonEmpty,
};

export const trafficSchema = z.discriminatedUnion(
  'provider',
  [
    z.strictObject({ provider: z.literal('istio'), ...backendTraffic }),
    z.strictObject({ provider: z.literal('gateway-api'), ...backendTraffic }),
    z.strictObject({ provider: z.literal('smi'), ...backendTraffic }),
    z.strictObject({ provider: z.literal('traefik'), ...backendTraffic }),
    z.strictObject({ provider: z.literal('nginx'), file: nonEmpty, name: nonEmpty.optional() }),
    z.strictObject({ provider: z.literal('replicas'), total: z.number().int().min(1).max(10_000) }),
    z.strictObject({
      provider: z.literal('yaml-path'),
      file: nonEmpty,
      name: nonEmpty.optional(),
      canaryPath: nonEmpty,
      stablePath: nonEmpty.optional(),
    }),
  ],
  { error: () => `expected one of ${TRAFFIC_PROVIDERS.join(', ')}` },
);

export const analysisArgSchema = z.strictObject({
  name: nonEmpty,
  value: z.union([z.string(), z.number(), z.boolean()]).transform(String).optional(),
  valueFrom: z.record(z.string(), z.unknown()).optional(),
});

/** Argo Rollouts' RolloutAnalysis: templates plus args, used by steps and background analysis. */
export const rolloutAnalysisSchema = z.strictObject({
  templates: z
    .array(z.strictObject({ templateName: nonEmpty, clusterScope: z.boolean().optional() }))
    .min(1, 'needs at least one template'),
  args: z.array(analysisArgSchema).default([]),
});

const pauseSchema = z
  .strictObject({ duration: durationSchema.optional() })
  .nullable()
  .transform((pause) => pause ?? {});

export type Step =
  | { setWeight: number }
  | { pause: { duration?: string | number } }
  | { analysis: RolloutAnalysis };

/** One Argo Rollouts canary step; exactly one of its keys is set. */
export const stepSchema = z
  .strictObject({
    setWeight: z.number().int('must be a whole number of percent').min(0, 'must be between 0 and 100').max(100, 'must be between 0 and 100').optional(),
    pause: pauseSchema.optional(),
    analysis: rolloutAnalysisSchema.optional(),
  })
  .superRefine((step, ctx) => {
    const keys = Object.keys(step).filter((key) => (step as Record<string, unknown>)[key] !== undefined);
    if (keys.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message: `a step has exactly one of setWeight, pause, analysis (found ${keys.length ? keys.join(', ') : 'none'})`,
      });
    }
  })
  .transform((step): Step => {
    if (step.setWeight !== undefined) return { setWeight: step.setWeight };
    if (step.pause !== undefined) return { pause: step.pause };
    return { analysis: step.analysis! };
  });

export const syncSchema = z
  .strictObject({
    delay: durationSchema.default('30s'),
    /** How long the other gates may take to report a commit applied before the step fails. */
    timeout: durationSchema.default('10m'),
    commitStatus: nonEmpty.optional(),
    argocd: z.strictObject({ application: nonEmpty, namespace: nonEmpty.default('argocd') }).optional(),
    flux: z.strictObject({ kustomization: nonEmpty, namespace: nonEmpty.default('flux-system') }).optional(),
  })
  // parsed like a written `sync: {}`, so the defaults above are the only ones
  .prefault({});

export const serviceSchema = z.strictObject({
  image: nonEmpty.refine((image) => !/[:@]/.test(image.slice(image.lastIndexOf('/') + 1)), {
    message: 'must be an image repository without a tag or digest (e.g. ghcr.io/acme/api)',
  }),
  canary: imageLocationSchema,
  stable: imageLocationSchema,
  traffic: trafficSchema,
  steps: z.array(stepSchema).min(1, 'needs at least one step'),
  analysis: rolloutAnalysisSchema.optional(),
  onFailure: z.enum(['rollback', 'pause']).default('rollback'),
  sync: syncSchema,
  /** How the preflight check on a bump pull request runs this service's queries. */
  preflight: z
    .strictObject({
      /** Analysis args replaced for the preflight's one-off queries (e.g. `track: stable`). */
      args: z.record(z.string().min(1), z.union([z.string(), z.number(), z.boolean()]).transform(String)).default({}),
      /** A query with no series fails the check instead of warning. */
      requireData: z.boolean().default(false),
    })
    .optional(),
}).superRefine((service, ctx) => {
  // a bump would change stable too, so canary and stable would never differ and no rollout start
  const { canary, stable } = service;
  if (canary.file === stable.file && canary.name === stable.name && canary.path === stable.path) {
    const place = [canary.file, canary.name && `name ${canary.name}`, canary.path && `path ${canary.path}`].filter(Boolean).join(', ');
    ctx.addIssue({
      code: 'custom',
      path: ['stable'],
      message: `points at the same place as canary (${place}), so a bump would change both and start no rollout; give stable its own file, or tell them apart with name (the workloads' metadata.name) or path`,
    });
  }
});

/** Labels the app sets itself on its alerts; the config adds others. */
export const RESERVED_ALERT_LABELS = ['alertname', 'repository', 'service', 'to', 'from'] as const;

/** Where failures are announced besides the pull request. */
export const notificationsSchema = z.strictObject({
  alertmanager: z
    .strictObject({
      /** Used only when the operator's OPSBOX_ALERTMANAGER_ALLOWLIST permits it; otherwise OPSBOX_ALERTMANAGER_URL. */
      url: z.url({ protocol: /^https?$/ }).optional(),
      labels: z
        .record(z.string(), z.string())
        .superRefine((labels, ctx) => {
          for (const name of Object.keys(labels)) {
            if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(name)) {
              ctx.addIssue({ code: 'custom', path: [name], message: 'label names are letters, digits and _, not starting with a digit' });
            } else if ((RESERVED_ALERT_LABELS as readonly string[]).includes(name)) {
              ctx.addIssue({ code: 'custom', path: [name], message: `is set by the app (${RESERVED_ALERT_LABELS.join(', ')}); choose another name` });
            }
          }
        })
        .default({}),
      /** How often a firing alert is posted again (default 5m). */
      resendInterval: durationSchema.optional(),
    })
    .optional(),
});

export const configSchema = z.strictObject({
  prometheus: z.strictObject({ address: z.url({ protocol: /^https?$/ }) }).optional(),
  analysisTemplates: z.array(nonEmpty).default([]),
  /** The `opsbox/preflight` check on pull requests. */
  preflight: z
    .strictObject({
      /** Post a `success` "no image bump" check on other pull requests too, so it can be required. */
      everyPullRequest: z.boolean().default(false),
    })
    .optional(),
  notifications: notificationsSchema.optional(),
  /** GitHub features beyond the pull request. */
  github: z
    .strictObject({
      /** One GitHub deployment per rollout, for this environment (opt-in). */
      deployments: z.strictObject({ environment: nonEmpty }).optional(),
    })
    .optional(),
  services: z
    .record(z.string().regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, 'service names use lowercase letters, digits and dashes'), serviceSchema)
    .refine((services) => Object.keys(services).length > 0, 'needs at least one service'),
});

export type OpsboxConfig = z.infer<typeof configSchema>;
export type ServiceConfig = z.infer<typeof serviceSchema>;
export type TrafficConfig = z.infer<typeof trafficSchema>;
export type ImageLocation = z.infer<typeof imageLocationSchema>;
export type RolloutAnalysis = z.infer<typeof rolloutAnalysisSchema>;
export type SyncConfig = z.infer<typeof syncSchema>;
export type NotificationsConfig = z.infer<typeof notificationsSchema>;
