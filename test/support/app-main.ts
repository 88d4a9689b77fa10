/**
 * The app as its own process, started as `npm start` starts it (configuration from the environment,
 * probes, metrics, SIGTERM handling). Octokit's write throttling (about one write a second) is off so
 * a test is not paced by it.
 */
import { ProbotOctokit } from 'probot';
import { serve } from '../../src/serve.js';

await serve({
  Octokit: ProbotOctokit.defaults((options: Record<string, unknown>) => ({
    ...options,
    throttle: { enabled: false },
  })) as typeof ProbotOctokit,
});
