/**
 * Commands for rollouts of a running `opsbox watch`, handed over through files: the CLI writes a
 * request into `<data dir>/inbox/`, the watch applies it through its engine (the same state
 * machine and store) and writes the answer beside it. A request the watch took but did not
 * answer before a crash is taken again by the next watch; its id makes a repeat a no-op.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { writeAtomically } from '../state/atomic-write.js';

export type CliCommandName = 'promote' | 'pause' | 'resume' | 'abort' | 'retry' | 'status';

export interface CliCommandRequest {
  id: string;
  /** The remote and branch the command is for (as normalized by the CLI); the watch checks it serves them. */
  remote: string;
  branch: string;
  service: string;
  command: CliCommandName;
  full?: boolean;
  actor: string;
  at: number;
}

export interface CliCommandAnswer {
  id: string;
  /** false: the command did not apply (no such rollout, wrong phase); `message` says why. */
  ok: boolean;
  message: string;
}

/** Requests waiting at most this many per pass, oldest first. */
const MAX_PER_PASS = 20;

export function newRequest(
  target: { remote: string; branch: string; service: string },
  command: CliCommandName,
  actor: string,
  full = false,
  now = Date.now(),
): CliCommandRequest {
  // Time first, so the watch takes requests in the order they were given.
  return { id: `${now.toString(36).padStart(9, '0')}-${randomUUID().slice(0, 8)}`, ...target, command, ...(full ? { full } : {}), actor, at: now };
}

export class CommandInbox {
  readonly dir: string;

  constructor(dataDir: string) {
    this.dir = path.join(dataDir, 'inbox');
  }

  async send(request: CliCommandRequest): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await writeAtomically(path.join(this.dir, `${request.id}.request.json`), JSON.stringify(request));
  }

  /** Waits for the answer (polling, bounded by `timeoutMs`); undefined when none came in time. */
  async answer(id: string, timeoutMs: number, pollMs = 100): Promise<CliCommandAnswer | undefined> {
    const file = path.join(this.dir, `${id}.answer.json`);
    const rounds = Math.max(1, Math.ceil(timeoutMs / pollMs));
    for (let round = 0; round < rounds; round++) {
      try {
        const answer = JSON.parse(await readFile(file, 'utf8')) as CliCommandAnswer;
        await rm(file, { force: true });
        return answer;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
    return undefined;
  }

  /** Withdraws a request nobody took (the CLI gave up waiting). */
  async withdraw(id: string): Promise<void> {
    await rm(path.join(this.dir, `${id}.request.json`), { force: true });
  }

  /** Applies the waiting requests, oldest first; each answer is written before its request is removed. */
  async process(apply: (request: CliCommandRequest) => Promise<Omit<CliCommandAnswer, 'id'>>): Promise<number> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const requests = names.filter((name) => name.endsWith('.request.json')).sort().slice(0, MAX_PER_PASS);
    for (const name of requests) {
      const file = path.join(this.dir, name);
      let request: CliCommandRequest;
      try {
        request = JSON.parse(await readFile(file, 'utf8')) as CliCommandRequest;
      } catch {
        await rm(file, { force: true }); // withdrawn meanwhile, or not a request
        continue;
      }
      let answer: Omit<CliCommandAnswer, 'id'>;
      try {
        answer = await apply(request);
      } catch (error) {
        answer = { ok: false, message: `the command failed: ${(error as Error).message}` };
      }
      await writeAtomically(path.join(this.dir, `${request.id}.answer.json`), JSON.stringify({ id: request.id, ...answer }));
      await rm(file, { force: true });
    }
    return requests.length;
  }
}
