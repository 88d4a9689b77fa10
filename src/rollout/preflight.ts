/**
 * Everything that can be checked before a rollout commits anything: the files exist, the image
 * tags can be found, the traffic object has both backends, every analysis resolves. Used by
 * `opsbox validate` on a checkout and by the app on the merge commit, so both say the same.
 */
import { AnalysisTemplateError } from '../analysis/errors.js';
import { resolveAnalysis } from '../analysis/resolve.js';
import { loadTemplatesFromSource, type TemplateCatalog } from '../analysis/templates.js';
import { loadJudgesFromSource, type LoadedJudge } from '../analysis/judge/judges.js';
import { toRunMetricSpec } from '../analysis/run.js';
import { CONFIG_PATH, type ImageLocation, type OpsboxConfig, type RolloutAnalysis, type ServiceConfig } from '../config/opsbox.schema.js';
import type { ConfigProblem } from '../config/problems.js';
import { ManifestError } from '../manifests/errors.js';
import { readImageVersion } from '../manifests/image-tag.js';
import { readFiles, RepoReadError, type RepoFiles } from '../repo/files.js';
import { configuredGates } from '../sync/gate.js';
import { syncGateCheck, type SyncGateCheck } from '../sync/registry.js';
import { createTrafficProvider, type FileSet, type TrafficProvider } from '../traffic/index.js';
import type { PlannedAnalysis } from './analysis-port.js';
import { stepKey } from './machine.js';
import { prefetchClusterSecrets, referencedSecretNames, type ClusterSecrets, type ClusterSecretValues, type SecretEnv } from '../analysis/secrets.js';
import { providerKindOf } from '../analysis/providers/registry.js';

export interface ServiceCheck {
  service: string;
  canaryVersion?: string;
  stableVersion?: string;
  weight?: number;
  /** Resolved analyses by key (`step:<i>`, `background`). */
  analyses: Record<string, PlannedAnalysis>;
}

export interface PreflightResult {
  problems: ConfigProblem[];
  /**
   * Invalid templates no checked analysis uses: shown by `opsbox validate`, never blocking a rollout
   * (an analysis that uses an invalid template gets a problem instead).
   */
  warnings: ConfigProblem[];
  services: Map<string, ServiceCheck>;
  templateCount: number;
}

export async function preflight(
  files: RepoFiles,
  config: OpsboxConfig,
  options: {
    services?: readonly string[];
    configFile?: string;
    /** Which sync gates can be waited on (default: those needing nothing but GitHub). */
    syncGates?: SyncGateCheck;
    /** Services with a rollout under way: their canary may carry traffic (a new bump goes on from it). */
    activeServices?: ReadonlySet<string>;
    /** Where secret arguments are read; a checkout check leaves them unread. */
    secretEnv?: SecretEnv;
    /** Secrets of the cluster, read before the environment (only where secretEnv is given). */
    clusterSecrets?: ClusterSecrets;
    /** Metric providers this installation cannot run, with why and what to set up. */
    unavailableProviders?: Readonly<Record<string, string>>;
  } = {},
): Promise<PreflightResult> {
  const configFile = options.configFile ?? CONFIG_PATH;
  const gateProblem = options.syncGates ?? syncGateCheck({ configured: false });
  const problems: ConfigProblem[] = [];
  const services = new Map<string, ServiceCheck>();
  /** Template errors already reported as problems of an analysis that uses the template. */
  const reported = new Set<unknown>();

  let catalog: TemplateCatalog | undefined;
  let judges: LoadedJudge[] = [];
  try {
    catalog = await loadTemplatesFromSource(files, config.analysisTemplates);
    judges = await loadJudgesFromSource(files, config.analysisTemplates);
  } catch (error) {
    if (error instanceof RepoReadError) throw error; // not a problem of the templates: try again later
    problems.push(templateProblem(error, configFile, 'analysisTemplates'));
  }

  let clusterSecrets: ClusterSecretValues | undefined;
  if (catalog && options.secretEnv && options.clusterSecrets) {
    const secretNames = referencedSecretNames(catalog.templates);
    if (secretNames.length > 0) clusterSecrets = await prefetchClusterSecrets(secretNames, options.clusterSecrets);
  }
  const secretSource = { env: options.secretEnv ?? ('not-read' as const), cluster: clusterSecrets, unavailable: options.unavailableProviders ?? {} };

  const names = options.services ?? Object.keys(config.services);
  for (const name of names) {
    const service = config.services[name];
    if (!service) {
      problems.push({ file: configFile, key: `services.${name}`, message: `unknown service "${name}"; configured: ${Object.keys(config.services).join(', ')}` });
      continue;
    }
    const check: ServiceCheck = { service: name, analyses: {} };
    services.set(name, check);
    const key = `services.${name}`;
    check.canaryVersion = await readVersion(files, service.canary, service.image, `${key}.canary`, configFile, problems);
    check.stableVersion = await readVersion(files, service.stable, service.image, `${key}.stable`, configFile, problems);
    check.weight = await readWeight(files, service, `${key}.traffic`, configFile, problems, !options.activeServices?.has(name));
    problems.push(...unsupportedSyncGates(service, key, configFile, gateProblem));
    if (catalog) resolveServiceAnalyses(catalog, service, key, configFile, check, problems, reported, judges, secretSource);
  }
  const warnings = (catalog?.broken ?? [])
    .filter((template) => !reported.has(template.error))
    .map((template) => ({
      file: template.file,
      ...(template.line !== undefined ? { line: template.line } : {}),
      key: '',
      // The location already names the file; the message need not repeat it.
      message: `${stripPrefix(template.error.message, `${template.file}, `)} (no analysis checked here uses this template, so it blocks nothing)`,
    }));
  return { problems, warnings, services, templateCount: catalog?.templates.length ?? 0 };
}

async function readVersion(
  files: RepoFiles,
  location: ImageLocation,
  image: string,
  key: string,
  configFile: string,
  problems: ConfigProblem[],
): Promise<string | undefined> {
  const text = await files.readOptional(location.file);
  if (text === null) {
    problems.push({ file: configFile, key: `${key}.file`, message: `file "${location.file}" does not exist in the repository; fix the path` });
    return undefined;
  }
  try {
    return readImageVersion(text, location, image);
  } catch (error) {
    problems.push(located(error, location.file, key));
    return undefined;
  }
}

async function readWeight(
  files: RepoFiles,
  service: ServiceConfig,
  key: string,
  configFile: string,
  problems: ConfigProblem[],
  atRest: boolean,
): Promise<number | undefined> {
  const provider = createTrafficProvider(service);
  const contents = await readFiles(files, provider.files);
  const missing = provider.files.filter((file) => !contents.has(file));
  if (missing.length > 0) {
    for (const file of missing) {
      problems.push({ file: configFile, key: `${key}.file`, message: `traffic file "${file}" does not exist in the repository; fix the path` });
    }
    return undefined;
  }
  let weight: number;
  try {
    weight = provider.readWeight(contents);
  } catch (error) {
    problems.push(located(error, provider.files[0], key));
    return undefined;
  }
  // A bump is merged on the promise that the canary takes no traffic until a rollout moves it.
  if (atRest && weight !== 0) {
    problems.push({
      file: provider.files[0],
      key,
      message: `the canary already carries ${weight}% of the traffic and no rollout is moving it; it must carry 0% until a rollout does. Give the canary weight 0 and stable all of it in ${provider.files.join(' and ')}.`,
    });
  }
  problems.push(...unwritableSteps(provider, contents, service, key.replace(/\.traffic$/, '')));
  return weight;
}

/** A step weight the traffic object cannot express (nginx weight total, replicas) is refused now, not at its commit. */
function unwritableSteps(provider: TrafficProvider, contents: FileSet, service: ServiceConfig, serviceKey: string): ConfigProblem[] {
  const tried = new Set<number>();
  const problems: ConfigProblem[] = [];
  service.steps.forEach((step, index) => {
    if (!('setWeight' in step) || tried.has(step.setWeight)) return;
    tried.add(step.setWeight);
    try {
      provider.setWeight(contents, step.setWeight);
    } catch (error) {
      problems.push(located(error, provider.files[0], `${serviceKey}.steps[${index}].setWeight`));
    }
  });
  return problems;
}

/**
 * Measuring before Argo CD or Flux applied a commit would judge the old version, so a config that
 * asks for a gate this installation cannot wait on is refused rather than silently ignored.
 */
function unsupportedSyncGates(service: ServiceConfig, key: string, configFile: string, gateProblem: SyncGateCheck): ConfigProblem[] {
  return configuredGates(service.sync).flatMap((gate) => {
    const message = gateProblem(gate, service.sync);
    return message ? [{ file: configFile, key: `${key}.sync.${gate}`, message }] : [];
  });
}

function resolveServiceAnalyses(
  catalog: TemplateCatalog,
  service: ServiceConfig,
  key: string,
  configFile: string,
  check: ServiceCheck,
  problems: ConfigProblem[],
  reported: Set<unknown>,
  judges: readonly LoadedJudge[] = [],
  source: { env: SecretEnv | 'not-read'; cluster?: ClusterSecretValues; unavailable: Readonly<Record<string, string>> } = { env: 'not-read', unavailable: {} },
): void {
  const wanted: [string, string, RolloutAnalysis][] = [];
  service.steps.forEach((step, index) => {
    if ('analysis' in step) wanted.push([stepKey(index), `${key}.steps[${index}].analysis`, step.analysis]);
  });
  if (service.analysis) wanted.push(['background', `${key}.analysis`, service.analysis]);
  for (const [analysisKey, configKey, analysis] of wanted) {
    try {
      const resolved = resolveAnalysis(catalog, { templates: analysis.templates, args: analysis.args, env: source.env, clusterSecrets: source.cluster }, judges);
      for (const metric of resolved.metrics) {
        const why = source.unavailable[providerKindOf(metric)];
        if (why) {
          throw new AnalysisTemplateError('provider-unsupported', `metric "${metric.name}" uses provider.${providerKindOf(metric)}, which cannot run here: ${why}`, {
            file: metric.source.file,
            template: metric.source.template,
            metric: metric.name,
          });
        }
      }
      check.analyses[analysisKey] = {
        key: analysisKey,
        templates: analysis.templates.map((t) => t.templateName),
        args: analysis.args.map((a) => ({ name: a.name, value: a.value })),
        metrics: resolved.metrics.map(toRunMetricSpec),
      };
    } catch (error) {
      reported.add(error);
      problems.push(templateProblem(error, configFile, configKey));
    }
  }
}

function stripPrefix(text: string, prefix: string): string {
  return text.startsWith(prefix) ? text.slice(prefix.length) : text;
}

function templateProblem(error: unknown, configFile: string, key: string): ConfigProblem {
  if (error instanceof AnalysisTemplateError && error.file && error.line !== undefined) {
    // The text itself is the problem: its file, line and column lead the message.
    return { file: error.file, line: error.line, column: error.column, key: '', message: `${error.reason} (used by ${key} in ${configFile})` };
  }
  if (error instanceof AnalysisTemplateError) {
    // The message already names the template file, template and metric.
    return { file: error.file ?? configFile, key: error.file ? '' : key, message: error.file ? `${error.message} (used by ${key} in ${configFile})` : error.message };
  }
  return { file: configFile, key, message: (error as Error).message };
}

/**
 * A manifest or traffic error as a problem: the manifest's file and line, the config key that
 * points at it, and what the manifest says about itself (its object or YAML path) in the message.
 */
function located(error: unknown, file: string, key: string): ConfigProblem {
  if (!(error instanceof ManifestError)) return { file, key, message: (error as Error).message };
  const where = error.key ? `${error.key}: ` : '';
  return { file: error.file, line: error.line, column: error.column, key, message: `${where}${error.detail}` };
}
