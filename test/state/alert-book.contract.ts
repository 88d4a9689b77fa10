/**
 * What the alert book of every backend must do, as a suite a backend's test file runs with a
 * function opening an empty book (`close` removes what it wrote; `reopen`, given where the book is
 * durable, opens the same book anew as a restarted process or another replica would).
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import type { AlertBook, BookedAlert } from '../../src/state/alert-book.js';

export interface OpenedBook {
  book: AlertBook;
  reopen?: () => Promise<AlertBook>;
  close(): Promise<void>;
}

export function bookedAlert(rollout: string, overrides: Partial<BookedAlert> = {}): BookedAlert {
  return {
    rollout,
    owner: 'acme',
    repo: 'manifests',
    service: 'api',
    url: 'http://127.0.0.1:9093',
    severity: 'critical',
    resendMs: 120_000,
    alert: {
      labels: { alertname: 'OpsBoxCanaryFailed', repository: 'acme/manifests', service: 'api', to: 'v2', from: 'v1', severity: 'critical' },
      annotations: { summary: 'Canary v2 of api in acme/manifests failed: error-rate "<0.05"' },
      startsAt: '2026-12-04T10:00:00.000Z',
      endsAt: '2026-12-04T10:06:00.000Z',
      generatorURL: 'https://github.com/acme/manifests/pull/7#issuecomment-1',
    },
    revertPr: 8,
    postedAt: 1_796_378_400_000,
    ...overrides,
  };
}

export function alertBookContract(name: string, open: () => Promise<OpenedBook>, durability: boolean): void {
  describe(`${name}: the AlertBook contract`, () => {
    let opened: OpenedBook[] = [];
    afterEach(async () => {
      await Promise.all(opened.map((book) => book.close()));
      opened = [];
    });
    const openBook = async () => {
      const book = await open();
      opened.push(book);
      return book;
    };

    it('keeps one alert per rollout: put adds or replaces, get and list read it back', async () => {
      const { book } = await openBook();
      expect(await book.list()).toEqual([]);
      expect(await book.get('r1')).toBeUndefined();
      await book.put(bookedAlert('r1'));
      await book.put(bookedAlert('r2', { service: 'web', revertPr: undefined }));
      const warning = bookedAlert('r1', { severity: 'warning', postedAt: 1_796_378_460_000 });
      await book.put(warning);
      expect(await book.get('r1')).toEqual(warning);
      const listed = (await book.list()).sort((a, b) => a.rollout.localeCompare(b.rollout));
      expect(listed.map((alert) => alert.rollout)).toEqual(['r1', 'r2']);
      expect(listed[1]).toEqual(JSON.parse(JSON.stringify(bookedAlert('r2', { service: 'web', revertPr: undefined }))));
    });

    it('hands out copies: changing what was read changes nothing stored', async () => {
      const { book } = await openBook();
      await book.put(bookedAlert('r1'));
      const read = (await book.get('r1'))!;
      read.postedAt = 0;
      read.alert.labels.service = 'changed';
      (await book.list())[0].alert.endsAt = 'never';
      expect(await book.get('r1')).toEqual(bookedAlert('r1'));
    });

    it('replaces a re-posted alert only while it was last posted when read; of two replacing at once one wins', async () => {
      const { book } = await openBook();
      const first = bookedAlert('r1');
      await book.put(first);
      const next = (postedAt: number) => bookedAlert('r1', { postedAt, alert: { ...first.alert, endsAt: new Date(postedAt + 360_000).toISOString() } });
      const results = await Promise.all([book.replaceIfPostedAt(next(first.postedAt + 120_000), first.postedAt), book.replaceIfPostedAt(next(first.postedAt + 120_001), first.postedAt)]);
      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = results[0] ? next(first.postedAt + 120_000) : next(first.postedAt + 120_001);
      expect(await book.get('r1')).toEqual(winner);
      // read before the winner wrote: stale
      expect(await book.replaceIfPostedAt(next(first.postedAt + 240_000), first.postedAt)).toBe(false);
      expect(await book.replaceIfPostedAt(next(first.postedAt + 240_000), winner.postedAt)).toBe(true);
      // never booked, or resolved: nothing to replace, nothing written
      expect(await book.replaceIfPostedAt(bookedAlert('r9'), bookedAlert('r9').postedAt)).toBe(false);
      expect(await book.get('r9')).toBeUndefined();
    });

    it('removes an alert once: the remover gets it, a second remove and a later re-post find nothing', async () => {
      const { book } = await openBook();
      await book.put(bookedAlert('r1'));
      await book.put(bookedAlert('r2'));
      const removed = await Promise.all([book.remove('r1'), book.remove('r1')]);
      expect(removed.filter((alert) => alert !== undefined)).toEqual([bookedAlert('r1')]);
      expect(await book.remove('r1')).toBeUndefined();
      expect(await book.replaceIfPostedAt(bookedAlert('r1', { postedAt: 1 }), bookedAlert('r1').postedAt)).toBe(false);
      expect(await book.get('r1')).toBeUndefined();
      expect((await book.list()).map((alert) => alert.rollout)).toEqual(['r2']);
    });

    if (durability) {
      it('keeps what it holds when opened again (a restart, another replica)', async () => {
        const { book, reopen } = await openBook();
        await book.put(bookedAlert('r1'));
        await book.put(bookedAlert('r2'));
        await book.replaceIfPostedAt(bookedAlert('r1', { postedAt: 5 }), bookedAlert('r1').postedAt);
        await book.remove('r2');
        const again = await reopen!();
        expect(await again.list()).toEqual([bookedAlert('r1', { postedAt: 5 })]);
      });
    }
  });
}
