/**
 * Missed deliveries against the fake GitHub's delivery log: the list is paged with cursors, only the
 * last 24 hours count, a delivery with any 2xx attempt was received, and GitHub sends each one asked
 * for again under its GUID.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { Octokit } from '@octokit/rest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { redeliverMissed, type AppOctokit } from '../../src/ops/redeliver.js';
import { silentLog, startFakeGitHub, type FakeGitHub } from '../support/fake-github/index.js';

const HOUR_MS = 3600 * 1000;

describe('redeliverMissed', () => {
  let github: FakeGitHub;
  let offsetMs: number;
  let receiver: Server;
  const received: string[] = [];

  beforeEach(async () => {
    offsetMs = 0;
    received.length = 0;
    github = await startFakeGitHub({ clock: () => new Date(Date.now() - offsetMs) });
    receiver = createServer((req, res) => {
      received.push(String(req.headers['x-github-delivery']));
      req.resume();
      req.on('end', () => res.writeHead(202).end());
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  });

  afterEach(async () => {
    await github.close();
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
  });

  function appClient(): AppOctokit {
    // a JWT-shaped token acts as the app itself
    return new Octokit({ baseUrl: github.apiUrl, auth: 'header.payload.signature', log: silentLog }) as unknown as AppOctokit;
  }

  it('asks for every delivery of the last 24 h that no attempt delivered, across pages, once each', async () => {
    offsetMs = 30 * HOUR_MS;
    const tooOld = await github.deliverWebhook('ping', { zen: 'old' });
    offsetMs = 2 * HOUR_MS;
    const missed = [];
    for (let i = 0; i < 130; i++) missed.push(await github.deliverWebhook('ping', { zen: `missed ${i}` }));
    // failed first, delivered by a redelivery asked for by hand
    const failedThenDelivered = await github.deliverWebhook('ping', { zen: 'retried' });
    github.setWebhook({ url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/`, secret: 's' });
    await (appClient() as unknown as Octokit).request('POST /app/hook/deliveries/{delivery_id}/attempts', { delivery_id: failedThenDelivered.id });
    await github.webhooksSettled();
    expect(received).toEqual([failedThenDelivered.guid]);
    received.length = 0;
    github.resetRequests();
    offsetMs = 0;

    const report = await redeliverMissed(appClient());
    await github.webhooksSettled();

    expect(report.listed).toBe(132);
    expect(new Set(report.redelivered)).toEqual(new Set(missed.map((d) => d.guid)));
    expect(report.refused).toEqual([]);
    expect(received.sort()).toEqual(missed.map((d) => d.guid).sort());
    expect(received).not.toContain(tooOld.guid);
    // each redelivery is recorded as one, under the original GUID
    const redeliveries = github.hookDeliveries().filter((d) => d.redelivery);
    expect(redeliveries).toHaveLength(131);
    expect(redeliveries.every((d) => d.statusCode === 202)).toBe(true);
  });

  it('with nothing missed asks for nothing', async () => {
    github.setWebhook({ url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/`, secret: 's' });
    await github.deliverWebhook('ping', { zen: 'ok' });
    const report = await redeliverMissed(appClient());
    expect(report).toEqual({ listed: 1, redelivered: [], refused: [] });
    expect(github.requests.filter((r) => r.method === 'POST')).toEqual([]);
  });
});

describe('the fake GitHub delivery endpoints', () => {
  let github: FakeGitHub;

  beforeEach(async () => {
    github = await startFakeGitHub();
  });

  afterEach(async () => {
    await github.close();
  });

  it('pages newest first with a cursor, answers one delivery with its payload, and refuses an installation token', async () => {
    for (let i = 0; i < 3; i++) await github.deliverWebhook('ping', { zen: String(i) });
    const app = new Octokit({ baseUrl: github.apiUrl, auth: 'header.payload.signature', log: silentLog });
    const first = await app.request('GET /app/hook/deliveries', { per_page: 2 });
    expect(first.data.map((d) => Number(d.id))).toEqual(github.hookDeliveries().reverse().slice(0, 2).map((d) => d.id));
    const cursor = new URL(/<([^>]+)>; rel="next"/.exec(first.headers.link!)![1]).searchParams.get('cursor');
    const second = await app.request('GET /app/hook/deliveries', { per_page: 2, cursor: cursor! });
    expect(second.data.map((d) => Number(d.id))).toEqual([github.hookDeliveries()[0].id]);
    expect(second.headers.link).toBeUndefined();

    const one = await app.request('GET /app/hook/deliveries/{delivery_id}', { delivery_id: Number(second.data[0].id) });
    expect(one.data).toMatchObject({ status_code: 0, status: 'failed to connect to host', request: { payload: { zen: '0' } } });
    await expect(app.request('POST /app/hook/deliveries/{delivery_id}/attempts', { delivery_id: 999_999 })).rejects.toMatchObject({ status: 404 });

    const installation = new Octokit({ baseUrl: github.apiUrl, auth: 'ghs_installation', log: silentLog });
    await expect(installation.request('GET /app/hook/deliveries')).rejects.toMatchObject({ status: 401 });
  });
});
