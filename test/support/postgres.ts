/**
 * A throwaway PostgreSQL cluster for tests: `initdb` into a temporary folder (as the `postgres`
 * OS user when the tests run as root, since PostgreSQL refuses to run as root), started with
 * `pg_ctl` on a free loopback port with its unix socket in the same folder, then stopped and
 * removed. Binaries come from Debian's `postgresql` package (/usr/lib/postgresql/<version>/bin),
 * or the folder in POSTGRES_BIN.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync } from 'node:fs';
import { chown, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from './free-port.js';

const run = promisify(execFile);

export interface PostgresTool {
  available: boolean;
  missing: string;
  binDir?: string;
}

/** Where initdb and pg_ctl are, newest version first. */
export function postgresTool(): PostgresTool {
  const missing = 'PostgreSQL server binaries (initdb, pg_ctl) not found: install the Debian package postgresql, or set POSTGRES_BIN';
  const candidates: string[] = [];
  if (process.env.POSTGRES_BIN) candidates.push(process.env.POSTGRES_BIN);
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((name) => /^\d+(\.\d+)?$/.test(name))
      .sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((version) => path.join(root, version, 'bin')));
  }
  for (const binDir of candidates) {
    try {
      accessSync(path.join(binDir, 'initdb'), constants.X_OK);
      accessSync(path.join(binDir, 'pg_ctl'), constants.X_OK);
    } catch {
      continue;
    }
    if (isRoot() && !existsSync('/usr/sbin/runuser') && !existsSync('/sbin/runuser')) {
      return { available: false, missing: 'running as root needs runuser to start PostgreSQL as the postgres user' };
    }
    return { available: true, missing, binDir };
  }
  return { available: false, missing };
}

export interface PostgresCluster {
  readonly port: number;
  /** A URL to the database `name` (default `postgres`). */
  url(name?: string): string;
  /** Creates an empty database and returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** Stops the server (immediately, as a crash would) and keeps its folder: `start` brings it back on the same port. */
  halt(): Promise<void>;
  start(): Promise<void>;
  /** Stops the server (immediately: nothing needs to survive) and removes its folder; safe to call twice. */
  stop(): Promise<void>;
}

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** Runs a PostgreSQL program as the postgres user when we are root, else as ourselves. */
async function asPostgres(binDir: string, program: string, args: string[]): Promise<void> {
  const command = path.join(binDir, program);
  if (isRoot()) await run('runuser', ['-u', 'postgres', '--', command, ...args], { timeout: 60_000 });
  else await run(command, args, { timeout: 60_000 });
}

let databases = 0;

export async function startPostgres(tool: PostgresTool = postgresTool()): Promise<PostgresCluster> {
  if (!tool.available || !tool.binDir) throw new Error(tool.missing);
  const binDir = tool.binDir;
  const dir = await mkdtemp(path.join(tmpdir(), 'opsbox-postgres-'));
  const data = path.join(dir, 'data');
  const logFile = path.join(dir, 'server.log');
  if (isRoot()) {
    const { uid, gid } = await postgresIds();
    await chown(dir, uid, gid);
  }
  const port = await freePort();
  let started = false;
  const stop = async () => {
    if (started) {
      started = false;
      await asPostgres(binDir, 'pg_ctl', ['stop', '-D', data, '-m', 'immediate', '-w']).catch(() => undefined);
    }
    await rm(dir, { recursive: true, force: true });
  };
  const options = ['-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'max_connections=200'].join(' ');
  const start = async () => {
    await asPostgres(binDir, 'pg_ctl', ['start', '-D', data, '-l', logFile, '-o', options, '-w', '-t', '60']);
    started = true;
  };
  try {
    await asPostgres(binDir, 'initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
    await start();
  } catch (error) {
    const log = await readFile(logFile, 'utf8').catch(() => '');
    await stop();
    throw new Error(`could not start a throwaway PostgreSQL: ${(error as Error).message}\n${log}`);
  }
  const url = (name = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${name}`;
  return {
    port,
    url,
    async createDatabase(name: string) {
      const client = new pg.Client({ connectionString: url() });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE "${name.replace(/"/g, '')}"`);
      } finally {
        await client.end();
      }
      return url(name);
    },
    async halt() {
      await asPostgres(binDir, 'pg_ctl', ['stop', '-D', data, '-m', 'immediate', '-w']);
      started = false;
    },
    start,
    stop,
  };
}

/** A fresh database name within one test process. */
export function nextDatabaseName(prefix = 'opsbox'): string {
  databases += 1;
  return `${prefix}_${process.pid}_${databases}`;
}

async function postgresIds(): Promise<{ uid: number; gid: number }> {
  const { stdout } = await run('id', ['postgres']);
  const uid = /uid=(\d+)/.exec(stdout)?.[1];
  const gid = /gid=(\d+)/.exec(stdout)?.[1];
  if (!uid || !gid) throw new Error(`no postgres user on this machine (id postgres: ${stdout.trim()}); the postgresql package creates it`);
  return { uid: Number(uid), gid: Number(gid) };
}

