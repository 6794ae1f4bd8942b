// `tunestudio server`: the team server (HTTP API over the tracking services,
// src/server/app.ts) and `tunestudio server token create|list|revoke` for its
// per-user tokens. It binds to the loopback unless told otherwise, and a
// non-loopback bind refuses to start without TLS or an explicit
// --insecure-behind-proxy (tokens would cross the network in clear).
import { Command, Option } from 'commander';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { API_PREFIX, API_ROLES, type ApiRole } from '../protocol/api';
import { openDatabase } from '../runtime/store/db';
import { TeamServer } from '../server/app';
import { TokenError, TokenStore } from '../server/tokens';
import { CliError, type CliContext } from './context';

declare const TUNESTUDIO_VERSION: string;

/** `--store sqlite:PATH` (a store folder) → the folder; PostgreSQL is named but not built yet. */
export function parseStore(v: string | undefined, fallbackDir: string): string {
  if (v === undefined) return fallbackDir;
  if (v.startsWith('sqlite:')) {
    const p = v.slice('sqlite:'.length);
    if (!p) throw new CliError('--store sqlite:PATH needs a folder, e.g. --store sqlite:./team-store', 2);
    return path.resolve(p);
  }
  if (/^postgres(ql)?:\/\//.test(v)) throw new CliError('--store postgresql://…: this version of tunestudio server has only the SQLite backend; use --store sqlite:PATH', 2);
  throw new CliError(`--store '${v}' is not a store: use sqlite:PATH (a store folder, created if missing)`, 2);
}

export function parseBind(v: string): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(v);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) throw new CliError(`--bind '${v}' must be HOST:PORT, e.g. 127.0.0.1:7777 (port 0 picks a free one)`, 2);
  return { host: m[1].replace(/^\[|\]$/g, ''), port };
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

function withStore(ctx: CliContext, server: Command, store: string | undefined): TokenStore {
  // commander hands `--store` after `server token create` to `server` (same option name there): take either.
  const dir = parseStore(store ?? (server.opts() as { store?: string }).store, ctx.storeDir);
  return new TokenStore(openDatabase(dir));
}

export function registerServerCommand(program: Command, ctx: CliContext): void {
  const server = ctx
    .command(program, 'server', 'run the team server: the tracking API over HTTP with per-user tokens (see docs/server.md)')
    .option('--store <store>', 'sqlite:PATH — the store folder the server owns (default: this store)')
    .option('--bind <host:port>', 'address to listen on (default 127.0.0.1:7777; port 0 picks a free one)', '127.0.0.1:7777')
    .option('--tls-cert <file>', 'PEM certificate: serve HTTPS')
    .option('--tls-key <file>', 'PEM private key for --tls-cert')
    .option('--insecure-behind-proxy', 'allow plain HTTP on a non-loopback address (only behind a TLS-terminating proxy)')
    .action(async (o: { store?: string; bind: string; tlsCert?: string; tlsKey?: string; insecureBehindProxy?: boolean }) => {
      const storeDir = parseStore(o.store, ctx.storeDir);
      const { host, port } = parseBind(o.bind);
      if (!!o.tlsCert !== !!o.tlsKey) throw new CliError('--tls-cert and --tls-key go together: give both files', 2);
      const tls = o.tlsCert && o.tlsKey ? { cert: fs.readFileSync(o.tlsCert), key: fs.readFileSync(o.tlsKey) } : undefined;
      if (!isLoopback(host) && !tls && !o.insecureBehindProxy) {
        throw new CliError(
          `refusing to serve plain HTTP on ${host}, a non-loopback address: tokens would cross the network in clear. Give --tls-cert FILE --tls-key FILE, or --insecure-behind-proxy if a TLS proxy sits in front, or bind 127.0.0.1`,
          2,
        );
      }
      const app = new TeamServer({ storeDir, version: typeof TUNESTUDIO_VERSION === 'string' ? TUNESTUDIO_VERSION : '0.0.0-dev', tls });
      const addr = await app.listen(host, port);
      const url = `${tls ? 'https' : 'http'}://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`;
      const tokens = app.tokens.list().length;
      if (ctx.json) process.stdout.write(JSON.stringify({ url, api: url + API_PREFIX, store: storeDir, tokens }) + '\n');
      else process.stdout.write(`tunestudio server listening on ${url} (API ${url}${API_PREFIX}, store ${storeDir})\n`);
      if (!tokens) process.stderr.write(`tunestudio server: no tokens yet, so every request is refused: make one with tunestudio server token create NAME --role write --store sqlite:${storeDir}\n`);
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          void app.close().then(resolve, resolve);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });

  const token = server.command('token').description("the server's per-user tokens");
  ctx
    .command(token, 'create', 'make a token (printed once; only its hash is stored)')
    .argument('<name>', 'who holds it, e.g. alice or ci-runner')
    .addOption(new Option('--role <role>', 'read: see runs; write: also log and stop runs; admin: also delete runs').choices([...API_ROLES]).makeOptionMandatory())
    .option('--store <store>', 'sqlite:PATH — the server\'s store (default: this store)')
    .action((name: string, o: { role: ApiRole; store?: string }) => {
      const tokens = withStore(ctx, server, o.store);
      try {
        const t = tokens.create(name, o.role);
        if (ctx.json) process.stdout.write(JSON.stringify(t) + '\n');
        else process.stdout.write(`${t.token}\n`), process.stderr.write(`token '${name}' (${o.role}) made; it is shown only this once: give it to its holder as TUNESTUDIO_TOKEN\n`);
      } catch (e) {
        if (e instanceof TokenError) throw new CliError(e.message);
        throw e;
      }
    });
  ctx
    .command(token, 'list', 'list tokens (names and roles; the secrets are not stored)')
    .option('--store <store>', 'sqlite:PATH — the server\'s store (default: this store)')
    .action((o: { store?: string }) => {
      const list = withStore(ctx, server, o.store).list();
      if (ctx.json) return void process.stdout.write(JSON.stringify(list, null, 2) + '\n');
      if (!list.length) return void console.log('No tokens yet.');
      for (const t of list) console.log(`${t.name}\t${t.role}\tcreated ${t.created_at}`);
    });
  ctx
    .command(token, 'revoke', 'revoke a token at once (a running server refuses it from its next request)')
    .argument('<name>', 'the token name')
    .option('--store <store>', 'sqlite:PATH — the server\'s store (default: this store)')
    .action((name: string, o: { store?: string }) => {
      if (!withStore(ctx, server, o.store).revoke(name)) throw new CliError(`no token named '${name}' (tunestudio server token list shows them)`);
      if (ctx.json) process.stdout.write(JSON.stringify({ name, revoked: true }) + '\n');
      else console.log(`token '${name}' revoked`);
    });
}

/** The commands that work against a team server; every other one refuses while a server is named (never a silent local store). */
export const REMOTE_COMMANDS: ReadonlySet<string> = new Set(['runs', 'show', 'history', 'best', 'compare', 'summary', 'alerts', 'stop', 'delete']);
/** Commands that are about the server itself and use the local store by design. */
const SERVER_SIDE = new Set(['server']);

/** Called before every command: with a server named, a command that cannot go there is refused by name. */
export function refuseLocalWhenRemote(ctx: CliContext, action: Command): void {
  const url = ctx.serverUrl;
  if (!url) return;
  const names: string[] = [];
  for (let c: Command | null = action; c?.parent; c = c.parent) names.unshift(c.name());
  if (SERVER_SIDE.has(names[0]) || REMOTE_COMMANDS.has(names.join(' '))) return;
  const via = ctx.server ? `--server ${url}` : `TUNESTUDIO_SERVER=${url}`;
  throw new CliError(
    `tunestudio ${names.join(' ')} does not work against a team server yet (${via}), and it will not quietly use a local store instead. ` +
      `Commands that do: ${[...REMOTE_COMMANDS].join(', ')}. To run it on the local store, unset TUNESTUDIO_SERVER (and drop --server).`,
  );
}
