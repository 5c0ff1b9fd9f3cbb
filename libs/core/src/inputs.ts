import { GraphQLError, GraphQLScalarType, Kind, visit, type DocumentNode, type ValueNode } from 'graphql';
import type { ApolloServerPlugin } from '@apollo/server';
import { ErrorCode } from './errors';
import { isStorableText } from './ids';
import { optionalDate, optionalLinkUrl } from './validity';

/**
 * Checks every subgraph applies to its inputs before a resolver runs, so a new argument gets them without a
 * line of its own: one DateTime scalar (strict ISO 8601, see `parseDateTime`), no text Postgres cannot
 * store (see `isStorableText`) anywhere in the variables or the document's literals, and every input named
 * `url` or `…Url` a link `optionalLinkUrl` accepts.
 */

/** Inputs holding a link someone will open: by name, so a new one is checked without a line of its own. */
const isLinkField = (name: string) => name === 'url' || name.endsWith('Url');

const badInput = (message: string, field: string) => new GraphQLError(message, { extensions: { code: ErrorCode.BAD_USER_INPUT, field, http: { status: 400 } } });

function parseDateTimeInput(value: unknown): Date {
  if (value === null || value === undefined) throw badInput('a DateTime is required', 'DateTime');
  try {
    return optionalDate(value, 'DateTime')!;
  } catch (e) {
    throw badInput((e as Error).message, 'DateTime');
  }
}

/** DateTime as every subgraph reads and writes it: ISO 8601 out, checked on the way in (an impossible day is refused). */
export const DateTimeScalar = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  description: 'An instant as ISO 8601 (RFC 3339): 2026-03-01T06:00:00Z, or a calendar date (midnight UTC).',
  serialize: (value) => (value instanceof Date ? value.toISOString() : String(value)),
  parseValue: (value) => parseDateTimeInput(value),
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.STRING) throw badInput('a DateTime must be a string', 'DateTime');
    return parseDateTimeInput(ast.value);
  },
});

interface Problem {
  message: string;
  /** Where, as the argument path a client wrote (`evidence[0].url`). */
  field: string;
}

/** What is wrong with one string input (`key` is the name of the field holding it), or null. */
function problemOf(key: string, value: string, field: string): Problem | null {
  if (!isStorableText(value)) return { message: `${field} contains a character that cannot be stored (NUL or an unpaired surrogate)`, field };
  if (isLinkField(key)) {
    try {
      optionalLinkUrl(value, field);
    } catch (e) {
      return { message: (e as Error).message, field };
    }
  }
  return null;
}

/** The first problem of a string anywhere in `value` (a variable's value as JSON), or null. */
function valueProblem(value: unknown, field: string, key: string): Problem | null {
  if (typeof value === 'string') return problemOf(key, value, field);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = valueProblem(value[i], `${field}[${i}]`, key);
      if (found) return found;
    }
  } else if (value && typeof value === 'object') {
    for (const [name, inner] of Object.entries(value)) {
      const found = valueProblem(name, field, '') ?? valueProblem(inner, field ? `${field}.${name}` : name, name);
      if (found) return found;
    }
  }
  return null;
}

/**
 * The first problem of the request's inputs, or null: string literals in the document's arguments, and the
 * variables' values, each named by the argument path it is given at (a variable used nowhere, by its name).
 */
function inputsProblem(document: DocumentNode, variables: Record<string, unknown>): Problem | null {
  let found: Problem | null = null;
  const usedAt = new Map<string, { field: string; key: string }>();
  visit(document, {
    Argument(node) {
      const walk = (value: ValueNode, field: string, key: string): void => {
        if (value.kind === Kind.VARIABLE) usedAt.set(value.name.value, { field, key });
        else if (value.kind === Kind.STRING) found ??= problemOf(key, value.value, field);
        else if (value.kind === Kind.LIST) value.values.forEach((v, i) => walk(v, `${field}[${i}]`, key));
        else if (value.kind === Kind.OBJECT) value.fields.forEach((f) => walk(f.value, `${field}.${f.name.value}`, f.name.value));
      };
      walk(node.value, node.name.value, node.name.value);
      return false;
    },
  });
  for (const [name, value] of Object.entries(variables)) {
    if (found) break;
    const at = usedAt.get(name) ?? { field: name, key: name };
    found = valueProblem(value, at.field, at.key);
  }
  return found;
}

/** Refuses, before any resolver runs, a request whose variables or literals hold text that cannot be stored or a bad link. */
export function inputChecksPlugin(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document }) {
          const problem = inputsProblem(document, request.variables ?? {});
          if (problem) throw badInput(problem.message, problem.field);
        },
      };
    },
  };
}
