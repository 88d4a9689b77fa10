/**
 * Starts a real Alertmanager (the Debian package's /usr/bin/prometheus-alertmanager, or
 * ALERTMANAGER_BIN) on a free loopback port, with a config of its own (one receiver that sends
 * nowhere), a temporary storage directory and clustering off.
 */
import path from 'node:path';
import { executableAvailable, startDaemon, type RunningDaemon } from './daemon.js';

export const ALERTMANAGER_BIN = process.env.ALERTMANAGER_BIN ?? '/usr/bin/prometheus-alertmanager';

export type RunningAlertmanager = RunningDaemon;

export function alertmanagerAvailable(): boolean {
  return executableAvailable(ALERTMANAGER_BIN);
}

export function startAlertmanager(options: { readyTimeoutMs?: number } = {}): Promise<RunningAlertmanager> {
  return startDaemon({
    name: 'Alertmanager',
    bin: ALERTMANAGER_BIN,
    files: { 'alertmanager.yml': ['route:', '  receiver: nowhere', 'receivers:', '  - name: nowhere', ''].join('\n') },
    args: (port, dir) => [
      `--config.file=${path.join(dir, 'alertmanager.yml')}`,
      `--storage.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
      '--log.level=warn',
    ],
    readyTimeoutMs: options.readyTimeoutMs,
  });
}
