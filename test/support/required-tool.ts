/**
 * Suites that need a program from a Debian package (prometheus, kubectl, chromium). Under CI the
 * program must be there: a missing one fails the suite, never skips it. Elsewhere (a developer's
 * machine with only Node) the suite is skipped with a line saying what to install.
 */
import { describe, it } from '@jest/globals';

export function inCi(): boolean {
  return process.env.CI === 'true' || process.env.CI === '1';
}

/** `describe(name, body)` when `available`; otherwise a failing suite under CI, a skipped one elsewhere. */
export function describeWithTool(name: string, tool: { available: boolean; missing: string }, body: () => void): void {
  if (tool.available) {
    describe(name, body);
  } else if (inCi()) {
    describe(name, () => {
      it('has the program it needs', () => {
        throw new Error(`${tool.missing} (CI must install it)`);
      });
    });
  } else {
    console.warn(`SKIPPED: ${name}: ${tool.missing}`);
    describe.skip(name, () => {
      it('has the program it needs', () => undefined);
    });
  }
}
