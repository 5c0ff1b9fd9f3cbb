import { SignJWT, jwtVerify, createRemoteJWKSet, type JWTPayload } from 'jose';
import { env, envInt, internalSecret, isProduction } from './config';
import { DomainError, ErrorCode } from './errors';
import { isUuid } from './ids';

export const ROLES = [
  'operator',
  'technician',
  'supervisor',
  'verifier',
  'permit_issuer',
  'hse',
  'contractor',
  'auditor',
  'administrator',
  'read_only',
] as const;
export type Role = (typeof ROLES)[number];

/** Who is calling: the person, what they may do and where. Built by the gateway, trusted by subgraphs. */
export interface Caller {
  id: string;
  name?: string;
  roles: Role[];
  /** Site ids the person works at; `['*']` means every site (administrators, auditors across the company). */
  sites: string[];
  /** Contractor company of a contractor: the contractor boundary. */
  company?: string;
}

/** The identity used by services acting on their own (event consumers, schedulers, seeders). */
export const SYSTEM_CALLER: Caller = { id: 'system', name: 'Opsgraph', roles: ['administrator'], sites: ['*'] };

export const INTERNAL_HEADER = 'x-opsgraph-caller';
const INTERNAL_ISSUER = 'opsgraph-gateway';
const encoder = new TextEncoder();

function toCaller(payload: JWTPayload): Caller {
  const roles = Array.isArray(payload.roles) ? payload.roles.filter((r): r is Role => (ROLES as readonly string[]).includes(r as string)) : [];
  const sites = Array.isArray(payload.sites) ? payload.sites.map(String) : [];
  if (!payload.sub) throw new DomainError(ErrorCode.UNAUTHENTICATED, 'token has no subject');
  return {
    id: payload.sub,
    name: typeof payload.name === 'string' ? payload.name : undefined,
    roles,
    sites,
    company: typeof payload.company === 'string' ? payload.company : undefined,
  };
}

/** Signs the short-lived header the gateway sends to subgraphs. */
export async function signInternalCaller(caller: Caller, requestId?: string): Promise<string> {
  return new SignJWT({ name: caller.name, roles: caller.roles, sites: caller.sites, company: caller.company, rid: requestId })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(caller.id)
    .setIssuer(INTERNAL_ISSUER)
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(encoder.encode(internalSecret()));
}

/**
 * Headers this subgraph verified, until they expire. The gateway reuses a caller's header for a minute, so a
 * board's calls would otherwise check the same signature again and again (a tenth of a millisecond of HMAC and
 * JSON each, on every call of every subgraph).
 */
const verifiedCallers = new Map<string, { caller: Caller; requestId?: string; expiresAt: number }>();
const VERIFIED_CALLERS_MAX = 10_000;

/** Verifies the gateway's header on a subgraph; anything missing, forged or expired is UNAUTHENTICATED. */
export async function verifyInternalCaller(token: string | undefined): Promise<{ caller: Caller; requestId?: string }> {
  if (!token) throw new DomainError(ErrorCode.UNAUTHENTICATED, 'requests must come through the gateway');
  const known = verifiedCallers.get(token);
  if (known && known.expiresAt > Date.now()) return known;
  try {
    const { payload } = await jwtVerify(token, encoder.encode(internalSecret()), { issuer: INTERNAL_ISSUER, algorithms: ['HS256'] });
    const verified = { caller: toCaller(payload), requestId: typeof payload.rid === 'string' ? payload.rid : undefined };
    if (typeof payload.exp === 'number') {
      if (verifiedCallers.size >= VERIFIED_CALLERS_MAX) verifiedCallers.clear();
      verifiedCallers.set(token, { ...verified, expiresAt: payload.exp * 1000 });
    }
    return verified;
  } catch (e) {
    if (e instanceof DomainError) throw e;
    throw new DomainError(ErrorCode.UNAUTHENTICATED, 'invalid gateway signature');
  }
}

/**
 * The caller a user token names, in the one spelling every service compares: person and site ids in lower
 * case (a token whose `sub` is the same UUID in upper case is the same person, so it must not pass a
 * separation-of-duties check as someone else). A subject that is not a person id, or a contractor without
 * the company that bounds what they see, is a bad token.
 */
function userCaller(payload: JWTPayload): Caller {
  if (payload.sub && !isUuid(payload.sub)) throw new DomainError(ErrorCode.UNAUTHENTICATED, 'the token subject must be a person id (a UUID)');
  const caller = toCaller(payload);
  caller.id = caller.id.toLowerCase();
  caller.sites = caller.sites.map((s) => (s === '*' ? s : s.toLowerCase()));
  if (caller.roles.includes('contractor') && !caller.company?.trim()) {
    throw new DomainError(ErrorCode.UNAUTHENTICATED, 'a contractor token must name the contractor company (claim `company`)');
  }
  return caller;
}

/** The longest a user token may be valid (`exp` after `iat`), OPSGRAPH_JWT_MAX_LIFETIME_S: a working day by default. */
export const maxTokenLifetimeSeconds = () => envInt('OPSGRAPH_JWT_MAX_LIFETIME_S', 12 * 3600);

/** Refuses a token without an end, or one meant to live longer than `maxTokenLifetimeSeconds`. */
function checkLifetime(payload: JWTPayload, maxSeconds: number) {
  if (typeof payload.exp !== 'number') throw new DomainError(ErrorCode.UNAUTHENTICATED, 'the token has no expiry (claim `exp`)');
  // From the earlier of `iat` and now: an `iat` set in the future must not stretch what the token is good for.
  const now = Math.floor(Date.now() / 1000);
  const from = typeof payload.iat === 'number' ? Math.min(payload.iat, now) : now;
  if (payload.exp - from > maxSeconds) {
    throw new DomainError(ErrorCode.UNAUTHENTICATED, `the token is valid for longer than the ${maxSeconds} s this graph accepts`);
  }
}

/**
 * User tokens: HS256 with OPSGRAPH_JWT_SECRET for local use, or RS256 from OPSGRAPH_JWKS_URL for a real
 * identity provider. Issuer and audience are always checked.
 */
export interface UserTokenConfig {
  issuer: string;
  audience: string;
  secret?: string;
  jwksUrl?: string;
  /**
   * After fetching the key set, how long a token with an unknown `kid` is refused without fetching it
   * again (jose's default, 30 s): bounds how often tokens can make us call the identity provider, and
   * how long a token signed with a freshly rotated key may be refused.
   */
  jwksCooldownMs?: number;
  /** The longest lifetime accepted (see `maxTokenLifetimeSeconds`). */
  maxLifetimeSeconds?: number;
}

export function userTokenConfig(): UserTokenConfig {
  const jwksUrl = process.env.OPSGRAPH_JWKS_URL || undefined;
  return {
    issuer: env('OPSGRAPH_JWT_ISSUER', 'opsgraph-dev'),
    audience: env('OPSGRAPH_JWT_AUDIENCE', 'opsgraph'),
    jwksUrl,
    jwksCooldownMs: envInt('OPSGRAPH_JWKS_COOLDOWN_MS', 30_000),
    maxLifetimeSeconds: maxTokenLifetimeSeconds(),
    secret: jwksUrl ? undefined : env('OPSGRAPH_JWT_SECRET', isProduction() ? undefined : 'dev-jwt-secret-change-me'),
  };
}

export function userTokenVerifier(config: UserTokenConfig = userTokenConfig()) {
  const jwks = config.jwksUrl ? createRemoteJWKSet(new URL(config.jwksUrl), { cooldownDuration: config.jwksCooldownMs }) : undefined;
  const key = config.secret ? encoder.encode(config.secret) : undefined;
  return async function verifyUserToken(authorization: string | undefined): Promise<Caller> {
    const match = authorization?.match(/^Bearer\s+(.+)$/i);
    if (!match) throw new DomainError(ErrorCode.UNAUTHENTICATED, 'a bearer token is required');
    try {
      const options = { issuer: config.issuer, audience: config.audience };
      const { payload } = jwks
        ? await jwtVerify(match[1], jwks, { ...options, algorithms: ['RS256', 'ES256'] })
        : await jwtVerify(match[1], key!, { ...options, algorithms: ['HS256'] });
      checkLifetime(payload, config.maxLifetimeSeconds ?? maxTokenLifetimeSeconds());
      return userCaller(payload);
    } catch (e) {
      if (e instanceof DomainError) throw e;
      throw new DomainError(ErrorCode.UNAUTHENTICATED, 'invalid or expired token');
    }
  };
}

/** Issues an HS256 user token: the local development and test stand-in for an identity provider. */
export async function devToken(caller: Caller, options: { expiresIn?: string; config?: UserTokenConfig } = {}): Promise<string> {
  const config = options.config ?? userTokenConfig();
  if (!config.secret) throw new Error('dev tokens need OPSGRAPH_JWT_SECRET (HS256)');
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ name: caller.name, roles: caller.roles, sites: caller.sites, company: caller.company })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(caller.id)
    .setIssuer(config.issuer)
    .setAudience(config.audience)
    // Both from one instant: computed a moment apart, a second could tick between them and make a 12-hour
    // token a second longer than the 12 hours the gateway accepts.
    .setIssuedAt(now)
    .setExpirationTime(now + durationSeconds(options.expiresIn ?? '12h'))
    .sign(encoder.encode(config.secret));
}

/** `12h`, `5m`, `-1m`, `30s`, `1d` as seconds. */
function durationSeconds(text: string): number {
  const match = /^(-?\d+)\s*([smhd])$/.exec(text.trim());
  if (!match) throw new Error(`unsupported token lifetime ${text}: use e.g. 30s, 5m, 12h, 1d`);
  return Number(match[1]) * { s: 1, m: 60, h: 3600, d: 86_400 }[match[2] as 's' | 'm' | 'h' | 'd'];
}

export const hasRole = (caller: Caller, ...roles: Role[]) => caller.roles.some((r) => roles.includes(r));

export function requireRole(caller: Caller, ...roles: Role[]): void {
  if (!hasRole(caller, 'administrator', ...roles)) {
    throw new DomainError(ErrorCode.FORBIDDEN, `this needs one of the roles: ${['administrator', ...roles].join(', ')}`);
  }
}

/**
 * Separation of duties: refuses with SEPARATION_OF_DUTIES when the caller took one of the parts in what they
 * are about to confirm (requested, planned, did, owns…), naming the part in the message and `details.part`.
 */
export function requireNoPart<P extends string>(caller: Caller, parts: readonly { personId: string; part: P }[], refusal: (part: P) => string, details: Record<string, unknown>): void {
  const taken = parts.find((p) => p.personId === caller.id);
  if (taken) throw new DomainError(ErrorCode.SEPARATION_OF_DUTIES, refusal(taken.part), { ...details, part: taken.part });
}

/** True when the caller may see records of this site. */
export const inSiteScope = (caller: Caller, siteId: string) => caller.sites.includes('*') || caller.sites.includes(siteId);

/** A contractor acts only within their own company's jobs (unless they also hold a wider role). */
export const isContractorOnly = (caller: Caller) => hasRole(caller, 'contractor') && !hasRole(caller, 'administrator', 'supervisor', 'hse', 'auditor');

/**
 * Whether the caller may see a record: its site is in the caller's scope, and for a contractor it is
 * their own company's job. Out-of-scope records are reported as "not found", never as forbidden, so
 * their existence does not leak.
 */
export function inScope(caller: Caller, record: { siteId?: string | null; contractorCompany?: string | null }): boolean {
  if (record.siteId && !inSiteScope(caller, record.siteId)) return false;
  if (isContractorOnly(caller) && (!caller.company || record.contractorCompany !== caller.company)) return false;
  return true;
}
