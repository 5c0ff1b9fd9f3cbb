import { GraphQLError, GraphQLFormattedError } from 'graphql';

/** Stable, machine-readable codes returned in `extensions.code`. Clients switch on these, so never rename one. */
export const ErrorCode = {
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  NOT_FOUND: 'NOT_FOUND',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  ILLEGAL_TRANSITION: 'ILLEGAL_TRANSITION',
  PREREQUISITES_OPEN: 'PREREQUISITES_OPEN',
  EVIDENCE_INCOMPLETE: 'EVIDENCE_INCOMPLETE',
  SEPARATION_OF_DUTIES: 'SEPARATION_OF_DUTIES',
  CONFLICT: 'CONFLICT',
  /** Live work nearby conflicts with this permit (simultaneous operations): issue it only with an explicit decision. */
  SIMOPS_CONFLICT: 'SIMOPS_CONFLICT',
  UNAVAILABLE: 'UNAVAILABLE',
  /** The Idempotency-Key was used before for another request (another mutation or other input). */
  IDEMPOTENCY_KEY_REUSED: 'IDEMPOTENCY_KEY_REUSED',
  /** A request with this Idempotency-Key is still being processed: retry to get its result. */
  IDEMPOTENCY_KEY_IN_PROGRESS: 'IDEMPOTENCY_KEY_IN_PROGRESS',
  /** The request with this Idempotency-Key was carried out but its answer was lost: read the record. */
  IDEMPOTENCY_RESULT_LOST: 'IDEMPOTENCY_RESULT_LOST',
  INTERNAL: 'INTERNAL_SERVER_ERROR',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** An error a domain operation raises on purpose; it is shown to the caller as is. */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const badInput = (message: string, details?: Record<string, unknown>) =>
  new DomainError(ErrorCode.BAD_USER_INPUT, message, details);
export const notFound = (what: string, id: string) =>
  new DomainError(ErrorCode.NOT_FOUND, `${what} ${id} not found`, { id });
export const forbidden = (message: string) => new DomainError(ErrorCode.FORBIDDEN, message);
export const illegalTransition = (what: string, from: string, action: string) =>
  new DomainError(ErrorCode.ILLEGAL_TRANSITION, `cannot ${action} a ${what} that is ${from}`, { from, action });

/** Postgres error codes that mean the database is away rather than that the request is wrong. */
const UNAVAILABLE_PG = new Set(['57P01', '57P02', '57P03', '08000', '08003', '08006', '08001', '08004']);
const UNAVAILABLE_NODE = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT']);

/** True when an error means the database (or another dependency) is away, not that the request is wrong. */
export function isUnavailable(error: unknown): boolean {
  // graphql-js wraps non-Error throws (the pg pool's connect errors) and keeps the value.
  const thrown = (error as { thrownValue?: unknown } | undefined)?.thrownValue ?? error;
  const { code, message } = (thrown ?? {}) as { code?: string; message?: string };
  if (code && (UNAVAILABLE_PG.has(code) || UNAVAILABLE_NODE.has(code))) return true;
  return /Connection terminated|timeout exceeded when trying to connect|ECONNREFUSED/i.test(message ?? '');
}

/** True when Postgres refused a row for the caller's scope (row-level security, SQLSTATE 42501). */
export function outsideScope(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: string; message?: string };
  return code === '42501' && /row-level security/i.test(message ?? '');
}

/**
 * Turns whatever a resolver threw into what the caller may see: domain errors keep their code and
 * message; anything else becomes INTERNAL_SERVER_ERROR without stack, SQL or driver text, unless
 * `expose` (development) is set.
 */
export function formatError(formatted: GraphQLFormattedError, error: unknown, expose = false): GraphQLFormattedError {
  const original = error instanceof GraphQLError ? (error.originalError ?? error) : error;
  if (original instanceof DomainError) {
    return {
      message: original.message,
      locations: formatted.locations,
      path: formatted.path,
      extensions: { ...original.details, code: original.code },
    };
  }
  // A validation rule of ours (e.g. query limits) keeps its own code instead of the generic one.
  const ownCode = original instanceof GraphQLError && original !== error ? (original.extensions?.code as string | undefined) : undefined;
  // Apollo's own refusals of a request (e.g. a persisted query whose hash does not match) carry an HTTP 4xx
  // and no code: the client's mistake, said as such, not an internal error.
  const refusedRequest = original instanceof GraphQLError && Number((original.extensions?.http as { status?: number } | undefined)?.status) < 500;
  const given = formatted.extensions?.code as string | undefined;
  const code = ownCode ?? (refusedRequest && (!given || given === ErrorCode.INTERNAL) ? 'BAD_REQUEST' : given) ?? ErrorCode.INTERNAL;
  if (outsideScope(original)) {
    // A write the database refused by row-level security: the code forgot a scope check, the policy did not.
    // Said as a missing record, so it tells nothing about what is outside the caller's scope.
    return { message: 'not found', locations: formatted.locations, path: formatted.path, extensions: { code: ErrorCode.NOT_FOUND } };
  }
  if (isUnavailable(original)) {
    return { message: 'the service database is unavailable; nothing was changed, try again', path: formatted.path, extensions: { code: ErrorCode.UNAVAILABLE } };
  }
  if (code !== ErrorCode.INTERNAL) {
    // Coded errors (validation, ours passed on by a subgraph through the gateway): keep their details
    // (e.g. the list of blockers), never a stack trace.
    const { stacktrace: _stack, exception: _exception, ...details } = (formatted.extensions ?? {}) as Record<string, unknown>;
    return { message: formatted.message, locations: formatted.locations, path: formatted.path, extensions: { ...details, code } };
  }
  return {
    message: expose ? formatted.message : 'internal error',
    locations: formatted.locations,
    path: formatted.path,
    extensions: { code: ErrorCode.INTERNAL, ...(expose && original instanceof Error ? { stacktrace: original.stack?.split('\n') } : {}) },
  };
}
