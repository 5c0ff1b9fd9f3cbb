import { GraphQLError, GraphQLScalarType, Kind, visit, type DocumentNode, type ValueNode } from 'graphql';
import type { ApolloServerPlugin } from '@apollo/server';
import { ErrorCode } from './errors';
import { isStorableText } from './ids';
import { optionalDate } from './validity';

/**
 * Checks every subgraph applies to its inputs before a resolver runs, so a new argument gets them without a
 * line of its own: one DateTime scalar (strict ISO 8601, see `parseDateTime`) and no text Postgres cannot
 * store (see `isStorableText`) anywhere in the variables or the document's literals.
 */

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

/** The path of the first string in `value` that cannot be stored, or null. */
function unstorablePath(value: unknown, path: string): string | null {
  if (typeof value === 'string') return isStorableText(value) ? null : path;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = unstorablePath(value[i], `${path}[${i}]`);
      if (found) return found;
    }
  } else if (value && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) {
      const found = unstorablePath(key, path) ?? unstorablePath(inner, path ? `${path}.${key}` : key);
      if (found) return found;
    }
  }
  return null;
}

function unstorableLiteral(document: DocumentNode): string | null {
  let found: string | null = null;
  visit(document, {
    Argument(node) {
      if (found) return false;
      const walk = (value: ValueNode, path: string): void => {
        if (found) return;
        if (value.kind === Kind.STRING && !isStorableText(value.value)) found = path;
        else if (value.kind === Kind.LIST) value.values.forEach((v, i) => walk(v, `${path}[${i}]`));
        else if (value.kind === Kind.OBJECT) value.fields.forEach((f) => walk(f.value, `${path}.${f.name.value}`));
      };
      walk(node.value, node.name.value);
      return false;
    },
  });
  return found;
}

/** Refuses, before any resolver runs, a request whose variables or literals hold text that cannot be stored. */
export function storableTextPlugin(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document }) {
          const path = unstorablePath(request.variables ?? {}, '') ?? unstorableLiteral(document);
          if (path) throw badInput(`${path} contains a character that cannot be stored (NUL or an unpaired surrogate)`, path);
        },
      };
    },
  };
}
