/** The environment the app gets in a benchmark: `npm start` against the fake GitHub and fake Prometheus. */
import type { FakeGitHub } from '../../test/support/fake-github/index.js';

export const WEBHOOK_SECRET = 'bench-webhook-secret';

export function appEnv(github: Pick<FakeGitHub, 'app' | 'appPrivateKey' | 'host'>, prometheusUrl: string, dataDir: string, port: number): Record<string, string> {
  return {
    APP_ID: String(github.app.id),
    PRIVATE_KEY: github.appPrivateKey(),
    WEBHOOK_SECRET,
    GHE_HOST: github.host,
    GHE_PROTOCOL: 'http',
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'fatal',
    PROMETHEUS_URL: prometheusUrl,
    OPSBOX_PROMETHEUS_ALLOWLIST: prometheusUrl,
    OPSBOX_DATA_DIR: dataDir,
  };
}
