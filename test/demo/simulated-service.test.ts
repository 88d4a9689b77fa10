import { afterEach, describe, expect, it } from '@jest/globals';
import { startSimulatedService, type SimulatedService } from '../../src/demo/simulated-service.js';

const QUERY = 'sum(rate(http_requests_total{service="shop",track="canary",code=~"5.."}[30s]))\n/\nsum(rate(http_requests_total{service="shop",track="canary"}[30s]))\n';

let service: SimulatedService | undefined;
afterEach(async () => {
  await service?.close();
  service = undefined;
});

async function ask(query: string, method: 'GET' | 'POST' = 'GET'): Promise<{ status: number; body: any }> {
  const url = `${service!.url}/api/v1/query`;
  const response =
    method === 'GET'
      ? await fetch(`${url}?${new URLSearchParams({ query })}`)
      : await fetch(url, { method: 'POST', body: new URLSearchParams({ query }), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  return { status: response.status, body: await response.json() };
}

describe('the demo service', () => {
  it('fails about 0.5% of requests when healthy, whatever the weight', async () => {
    let weight = 0;
    service = await startSimulatedService({ failing: false, canaryWeight: async () => weight });
    const values: number[] = [];
    for (let i = 0; i < 4; i++) {
      weight = i * 20;
      const { status, body } = await ask(QUERY, i % 2 ? 'POST' : 'GET');
      expect(status).toBe(200);
      expect(body.data.resultType).toBe('vector');
      values.push(Number(body.data.result[0].value[1]));
    }
    for (const value of values) expect(value).toBeGreaterThan(0.004);
    for (const value of values) expect(value).toBeLessThan(0.006);
  });

  it('with failing, climbs to 20% once the canary takes traffic, and not before', async () => {
    let weight = 0;
    service = await startSimulatedService({ failing: true, canaryWeight: async () => weight });
    expect(Number((await ask(QUERY)).body.data.result[0].value[1])).toBeLessThan(0.01);
    weight = 10;
    const climbing = [];
    for (let i = 0; i < 3; i++) climbing.push(Number((await ask(QUERY)).body.data.result[0].value[1]));
    expect(climbing).toEqual([0.118, 0.2, 0.2]);
  });

  it('refuses queries other than the demo template\'s, as Prometheus refuses bad data', async () => {
    service = await startSimulatedService({ failing: false, canaryWeight: async () => 0 });
    const { status, body } = await ask('up');
    expect(status).toBe(400);
    expect(body).toMatchObject({ status: 'error', errorType: 'bad_data' });
  });
});
