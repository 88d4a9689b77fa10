/**
 * The app as its own process, started like `npm start` (configuration from the environment).
 * Octokit's write throttling (about one write a second) is off so a test is not paced by it.
 */
import { ProbotOctokit, run } from 'probot';
import { opsboxApp } from '../../src/index.js';

await run(opsboxApp, {
  Octokit: ProbotOctokit.defaults((options: Record<string, unknown>) => ({
    ...options,
    throttle: { enabled: false },
  })) as typeof ProbotOctokit,
});
