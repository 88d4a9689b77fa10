/**
 * The load generator of the webhook benchmark, in a process of its own so nothing else (the
 * benchmark's own garbage, the fakes) pauses it while it measures. It keeps the deliveries, signed
 * once, and sends them over a fixed number of keep-alive connections when asked.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { WEBHOOK_SECRET } from './app-env.js';
import { serve } from './child.js';
import type { Delivery } from './fakes-child.js';

const REQUEST_TIMEOUT_MS = 30_000;

interface Signed {
  event: string;
  headers: Record<string, string>;
  body: Buffer;
}

/** What one run measured, before any statistics. */
export interface LoadRun {
  samples: Array<{ event: string; ms: number }>;
  failed: number;
  seconds: number;
}

const sets = new Map<string, Delivery[]>();

/** Signed afresh for each run (a new delivery id each time), before the clock starts. */
function sign(delivery: Delivery): Signed {
  return {
    event: delivery.event,
    headers: {
      'content-type': 'application/json',
      'x-github-event': delivery.event,
      'x-github-delivery': randomUUID(),
      'x-hub-signature-256': `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(delivery.body).digest('hex')}`,
      'content-length': String(Buffer.byteLength(delivery.body)),
    },
    body: Buffer.from(delivery.body),
  };
}

function post(agent: Agent, port: number, signed: Signed): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, method: 'POST', path: '/api/github/webhooks', agent, headers: signed.headers, timeout: REQUEST_TIMEOUT_MS },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end(signed.body);
  });
}

/** Sends every delivery once over the agents' connections, each taking the next delivery when free. */
async function send(port: number, agents: readonly Agent[], deliveries: readonly Signed[]): Promise<LoadRun> {
  const samples: LoadRun['samples'] = [];
  let failed = 0;
  let next = 0;
  const start = performance.now();
  const connection = async (agent: Agent) => {
    while (next < deliveries.length) {
      const delivery = deliveries[next++];
      const sent = performance.now();
      const status = await post(agent, port, delivery).catch(() => 0);
      samples.push({ event: delivery.event, ms: performance.now() - sent });
      if (status < 200 || status >= 300) failed += 1;
    }
  };
  await Promise.all(agents.map(connection));
  return { samples, failed, seconds: (performance.now() - start) / 1000 };
}

/**
 * Opens `connections` keep-alive connections, each with an agent of its own (with one shared pool a
 * request could wait for a free socket, and that wait would count as the server's), sends the
 * warm-up deliveries over them, so every connection is open and has carried requests (a server busy
 * with open connections accepts new ones late), then sends the measured deliveries.
 */
async function load(port: number, warmup: readonly Signed[], measured: readonly Signed[], connections: number): Promise<LoadRun> {
  const agents = Array.from({ length: connections }, () => new Agent({ keepAlive: true, maxSockets: 1 }));
  try {
    await send(port, agents, warmup);
    globalThis.gc?.(); // start clean: a collection of the warm-up's garbage would land inside the run
    return await send(port, agents, measured);
  } finally {
    for (const agent of agents) agent.destroy();
  }
}

serve({
  keep(args: { name: string; deliveries: Delivery[] }) {
    sets.set(args.name, args.deliveries);
  },

  run(args: { warmup: string; measured: string; port: number; connections: number }): Promise<LoadRun> {
    const signed = (name: string) => {
      const deliveries = sets.get(name);
      if (!deliveries) throw new Error(`no deliveries named ${name}`);
      return deliveries.map(sign);
    };
    return load(args.port, signed(args.warmup), signed(args.measured), args.connections);
  },
});
