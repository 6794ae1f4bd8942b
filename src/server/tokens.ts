// API tokens of the team server: made by `tunestudio server token create`,
// printed once, stored only as a SHA-256 hash. A fast hash is enough because
// a token is 32 random bytes (256 bits): nothing to guess or brute-force, so
// the slow, salted hashes made for low-entropy passwords buy nothing and
// would cost every request. Lookups hash the presented token and compare the
// hashes in constant time (timingSafeEqual) over every stored token.
import type Database from 'better-sqlite3';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { API_ROLES, type ApiRole } from '../protocol/api';

export const TOKEN_PREFIX = 'tst_';

export interface TokenInfo {
  name: string;
  role: ApiRole;
  created_at: string;
  last_used_at: string | null;
}

export class TokenError extends Error {}

function hashOf(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

export function roleAllows(have: ApiRole, need: ApiRole): boolean {
  return API_ROLES.indexOf(have) >= API_ROLES.indexOf(need);
}

export class TokenStore {
  constructor(private readonly db: Database.Database) {}

  /** Makes a token; the returned secret is shown once and never stored. */
  create(name: string, role: ApiRole): { name: string; role: ApiRole; token: string } {
    if (!/^[A-Za-z0-9_.@-]{1,100}$/.test(name)) throw new TokenError(`token name '${name.slice(0, 120)}' is not allowed: use 1–100 letters, digits, '_', '.', '@' or '-' (e.g. alice or ci-runner)`);
    if (!API_ROLES.includes(role)) throw new TokenError(`unknown role '${role}': use one of ${API_ROLES.join(', ')}`);
    if (this.db.prepare(`SELECT 1 FROM api_tokens WHERE name = ?`).get(name)) {
      throw new TokenError(`a token named '${name}' already exists: revoke it first (tunestudio server token revoke ${name}) or choose another name`);
    }
    const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
    this.db.prepare(`INSERT INTO api_tokens (name, role, hash, created_at) VALUES (?, ?, ?, ?)`).run(name, role, hashOf(token).toString('hex'), new Date().toISOString());
    return { name, role, token };
  }

  revoke(name: string): boolean {
    const n = this.db.prepare(`DELETE FROM api_tokens WHERE name = ?`).run(name).changes;
    return n > 0;
  }

  list(): TokenInfo[] {
    return this.db.prepare(`SELECT name, role, created_at, last_used_at FROM api_tokens ORDER BY name`).all() as TokenInfo[];
  }

  /** The token's owner, or null. Every stored hash is compared, each in constant time. */
  check(token: string): { name: string; role: ApiRole } | null {
    // Read every time (a handful of rows): a token made or revoked by the CLI while the server runs counts at once.
    const rows = (this.db.prepare(`SELECT name, role, hash FROM api_tokens`).all() as Array<{ name: string; role: ApiRole; hash: string }>).map((r) => ({
      name: r.name,
      role: r.role,
      hash: Buffer.from(r.hash, 'hex'),
    }));
    const h = hashOf(token);
    let found: { name: string; role: ApiRole } | null = null;
    for (const t of rows) if (timingSafeEqual(h, t.hash)) found = { name: t.name, role: t.role };
    return found;
  }
}
