import { buildSubgraphSchema } from '@apollo/subgraph';
import {
  getNamedType,
  getNullableType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isScalarType,
  type DocumentNode,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLObjectType,
} from 'graphql';

/**
 * Probes of what outside testing found getting through, derived from a subgraph's schema so that a new
 * field or argument is probed by default, with no case written for it:
 * - text Postgres cannot store (NUL, an unpaired surrogate) in every String argument and input field;
 * - impossible and empty dates in every DateTime argument and input field;
 * - links someone would open (`javascript:`, `data:`, `file:`) in every input named `url` or `…Url`;
 * - a thousand aliases of every root field (each is a query plan of its own).
 * The other arguments get well-formed placeholders, so the probed value is the only thing wrong.
 */

export interface InputProbe {
  /** `Mutation.createWorkItem input.title: NUL`, for failure messages. */
  name: string;
  document: string;
  variables: Record<string, unknown>;
  /** The code the graph must answer with, before anything runs. */
  code: 'BAD_USER_INPUT' | 'QUERY_TOO_COMPLEX';
}

export const TEXT_PROBES = { NUL: 'before\u0000after', 'lone surrogate': 'before\ud800after' };
export const DATE_PROBES = { 'impossible date': '2024-02-30T00:00:00Z', 'empty date': '', 'not a date': 'tomorrow' };
export const LINK_PROBES = { 'javascript: link': 'javascript:alert(1)', 'data: link': 'data:text/html,<script>alert(1)</script>', 'file: link': 'file:///etc/passwd' };
const isLinkField = (name: string) => name === 'url' || name.endsWith('Url');
export const ALIASES = 1000;

const PLACEHOLDER_ID = '0b0e0b0e-0000-4000-8000-000000000000';

function placeholderLeaf(type: GraphQLInputType): unknown {
  const named = getNamedType(type);
  if (isEnumType(named)) return named.getValues()[0].value;
  switch (named.name) {
    case 'ID':
      return PLACEHOLDER_ID;
    case 'String':
      return 'probe';
    case 'Int':
      return 1;
    case 'Float':
      return 1.5;
    case 'Boolean':
      return false;
    case 'DateTime':
      return '2026-01-01T00:00:00Z';
    default:
      return {};
  }
}

/** A well-formed value of `type` with only its required parts, or `target` put at `path`. */
function valueOf(type: GraphQLInputType, path: string[] = [], target?: unknown): unknown {
  const inner = getNullableType(type) as GraphQLInputType;
  if (isListType(inner)) return [valueOf(inner.ofType, path, target)];
  if (!path.length && target !== undefined) return target;
  if (isInputObjectType(inner)) {
    const value: Record<string, unknown> = {};
    for (const field of Object.values(inner.getFields())) {
      if (field.name === path[0]) value[field.name] = valueOf(field.type, path.slice(1), target);
      else if (isNonNullType(field.type) && field.defaultValue === undefined) value[field.name] = valueOf(field.type);
    }
    return value;
  }
  return placeholderLeaf(inner);
}

/** The paths (field names from the argument down) of every leaf of scalar `scalar` in `type`. */
function leavesOf(type: GraphQLInputType, scalar: string, seen: Set<string> = new Set()): string[][] {
  const named = getNamedType(type);
  if (isScalarType(named)) return named.name === scalar ? [[]] : [];
  if (!isInputObjectType(named) || seen.has(named.name)) return [];
  const below = new Set([...seen, named.name]);
  return Object.values(named.getFields()).flatMap((f) => leavesOf(f.type, scalar, below).map((p) => [f.name, ...p]));
}

function operationOf(kind: 'query' | 'mutation', field: GraphQLField<unknown, unknown>, aliases = 1) {
  const args = field.args;
  const declared = args.map((a, i) => `$a${i}: ${String(a.type)}`).join(', ');
  const call = args.length ? `(${args.map((a, i) => `${a.name}: $a${i}`).join(', ')})` : '';
  const selection = isScalarType(getNamedType(field.type)) || isEnumType(getNamedType(field.type)) ? '' : ' { __typename }';
  const fields = Array.from({ length: aliases }, (_, i) => `${aliases > 1 ? `f${i}: ` : ''}${field.name}${call}${selection}`).join(' ');
  return `${kind}${declared ? ` (${declared})` : ''} { ${fields} }`;
}

const variablesOf = (args: readonly GraphQLArgument[], probed?: { arg: number; path: string[]; value: unknown }) =>
  Object.fromEntries(args.flatMap((a, i) => {
    if (probed?.arg === i) return [[`a${i}`, valueOf(a.type, probed.path, probed.value)]];
    return isNonNullType(a.type) ? [[`a${i}`, valueOf(a.type)]] : [];
  }));

/** Every probe of one subgraph's root fields, from its SDL as the subgraph serves it. */
export function inputProbes(typeDefs: DocumentNode): InputProbe[] {
  const schema = buildSubgraphSchema([{ typeDefs }]);
  const roots: ['query' | 'mutation', GraphQLObjectType | null | undefined][] = [['query', schema.getQueryType()], ['mutation', schema.getMutationType()]];
  const probes: InputProbe[] = [];
  for (const [kind, root] of roots) {
    for (const field of Object.values(root?.getFields() ?? {})) {
      if (field.name.startsWith('_')) continue; // federation's own entry points
      const where = `${kind === 'query' ? 'Query' : 'Mutation'}.${field.name}`;
      const document = operationOf(kind, field);
      field.args.forEach((arg, i) => {
        for (const [scalar, values] of [['String', TEXT_PROBES], ['DateTime', DATE_PROBES], ['String', LINK_PROBES]] as const) {
          for (const path of leavesOf(arg.type, scalar)) {
            if (values === LINK_PROBES && !isLinkField([arg.name, ...path].at(-1)!)) continue;
            for (const [probe, value] of Object.entries(values)) {
              probes.push({ name: `${where} ${[arg.name, ...path].join('.')}: ${probe}`, document, variables: variablesOf(field.args, { arg: i, path, value }), code: 'BAD_USER_INPUT' });
            }
          }
        }
      });
      probes.push({ name: `${where}: ${ALIASES} aliases`, document: operationOf(kind, field, ALIASES), variables: variablesOf(field.args), code: 'QUERY_TOO_COMPLEX' });
    }
  }
  return probes;
}

// ---------- scope escapes: another site's (or company's) ids answered as random ones ----------

/** ID arguments that name a location or a work item: probed with another site's id against a random one. */
export const PLACE_ID_ARGUMENTS: Record<string, 'site' | 'area' | 'line' | 'asset' | 'workItem'> = {
  siteId: 'site',
  siteIds: 'site',
  areaId: 'area',
  areaIds: 'area',
  lineId: 'line',
  lineIds: 'line',
  assetId: 'asset',
  assetIds: 'asset',
  workItemId: 'workItem',
  workItemIds: 'workItem',
  /** Documents' filter by any place: probed with another site's asset. */
  appliesAt: 'asset',
};

export interface ScopeEscapeProbe {
  /** `Mutation.createPermit input.assetIds`, for failure messages. */
  name: string;
  document: string;
  kind: 'query' | 'mutation';
  /** What the probed id names: a place kind or a work item (PLACE_ID_ARGUMENTS), or a record's GraphQL type. */
  target: string;
  /** Variables with `id` at the probed argument (and the caller's own site in every other siteId). */
  variables(id: string): Record<string, unknown>;
}

/** The name an ID leaf is known by: its own, or its argument's when it is the argument itself. */
const leafName = (arg: GraphQLArgument, path: string[]) => (path.length ? path[path.length - 1] : arg.name);

/** Every ID argument and input field of a subgraph's root fields, by its path (and what the field returns), for the classification test. */
export function idArguments(typeDefs: DocumentNode): { where: string; name: string; returns: string }[] {
  const schema = buildSubgraphSchema([{ typeDefs }]);
  const found: { where: string; name: string; returns: string }[] = [];
  for (const [kind, root] of [['Query', schema.getQueryType()], ['Mutation', schema.getMutationType()]] as const) {
    for (const field of Object.values(root?.getFields() ?? {})) {
      if (field.name.startsWith('_')) continue;
      for (const arg of field.args) for (const path of leavesOf(arg.type, 'ID')) found.push({ where: `${kind}.${field.name} ${[arg.name, ...path].join('.')}`, name: leafName(arg, path), returns: getNamedType(field.type).name });
    }
  }
  return found;
}

/** A value for `type` with `siteId` leaves set to the caller's own site (so only the probed id is foreign). */
function ownSiteValue(type: GraphQLInputType, ownSite: string, probed?: { path: string[]; value: unknown }): unknown {
  const inner = getNullableType(type) as GraphQLInputType;
  if (isListType(inner)) return [ownSiteValue(inner.ofType, ownSite, probed)];
  if (probed && !probed.path.length) return probed.value;
  if (isInputObjectType(inner)) {
    const value: Record<string, unknown> = {};
    for (const field of Object.values(inner.getFields())) {
      if (probed && field.name === probed.path[0]) value[field.name] = ownSiteValue(field.type, ownSite, { path: probed.path.slice(1), value: probed.value });
      else if (field.name === 'siteId') value[field.name] = ownSite;
      else if (isNonNullType(field.type) && field.defaultValue === undefined) value[field.name] = ownSiteValue(field.type, ownSite);
    }
    return value;
  }
  return placeholderLeaf(inner);
}

/** What an ID argument names, from its own name: a place or a work item (PLACE_ID_ARGUMENTS), or nothing. */
export type IdClassifier = (leaf: string, field: GraphQLField<unknown, unknown>) => string | undefined;
const placeTarget: IdClassifier = (leaf) => PLACE_ID_ARGUMENTS[leaf];

/**
 * For every argument or input field of a root field whose id `classify` names (by default: a location or a
 * work item): the request with that id, everything else well-formed and at the caller's own site. Sent once
 * with another site's (or company's) id and once with a random one, the two answers must be the same.
 */
export function scopeEscapeProbes(typeDefs: DocumentNode, ownSite: string, classify: IdClassifier = placeTarget): ScopeEscapeProbe[] {
  const schema = buildSubgraphSchema([{ typeDefs }]);
  const probes: ScopeEscapeProbe[] = [];
  for (const [kind, root] of [['query', schema.getQueryType()], ['mutation', schema.getMutationType()]] as const) {
    for (const field of Object.values(root?.getFields() ?? {})) {
      if (field.name.startsWith('_')) continue;
      const document = operationOf(kind, field);
      field.args.forEach((arg, i) => {
        for (const path of leavesOf(arg.type, 'ID')) {
          const target = classify(leafName(arg, path), field);
          if (!target) continue;
          probes.push({
            name: `${kind === 'query' ? 'Query' : 'Mutation'}.${field.name} ${[arg.name, ...path].join('.')}`,
            document,
            kind,
            target,
            variables: (id) =>
              Object.fromEntries(
                field.args.flatMap((a, j) => {
                  if (j === i) return [[`a${j}`, ownSiteValue(a.type, ownSite, { path, value: id })]];
                  if (a.name === 'siteId') return [[`a${j}`, ownSite]];
                  return isNonNullType(a.type) ? [[`a${j}`, ownSiteValue(a.type, ownSite)]] : [];
                }),
              ),
          });
        }
      });
    }
  }
  return probes;
}

/**
 * A read of every root query field with its required arguments at the caller's own site, selecting the ids of
 * what it returns `depth` levels down: no other site's (or company's) id may appear in any answer.
 */
export function readEverything(typeDefs: DocumentNode, ownSite: string, depth = 2): { name: string; document: string; variables: Record<string, unknown> }[] {
  const schema = buildSubgraphSchema([{ typeDefs }]);
  const selectionOf = (type: GraphQLObjectType, depth: number): string => {
    const parts: string[] = [];
    for (const f of Object.values(type.getFields())) {
      if (f.args.some((a) => isNonNullType(a.type))) continue;
      const named = getNamedType(f.type);
      if (isScalarType(named) && named.name === 'ID') parts.push(f.name);
      else if (!isScalarType(named) && !isEnumType(named) && 'getFields' in named && depth > 0 && !('getPossibleTypes' in named)) {
        const below = selectionOf(named as GraphQLObjectType, depth - 1);
        if (below) parts.push(`${f.name} { ${below} }`);
      }
    }
    return parts.join(' ');
  };
  const reads: { name: string; document: string; variables: Record<string, unknown> }[] = [];
  for (const field of Object.values(schema.getQueryType()?.getFields() ?? {})) {
    if (field.name.startsWith('_')) continue;
    const named = getNamedType(field.type);
    const selection = !isScalarType(named) && !isEnumType(named) && 'getFields' in named && !('getPossibleTypes' in named) ? selectionOf(named as GraphQLObjectType, depth) : '';
    if (!isScalarType(named) && !isEnumType(named) && !selection) continue;
    const declared = field.args.map((a, i) => `$a${i}: ${String(a.type)}`).join(', ');
    const call = field.args.length ? `(${field.args.map((a, i) => `${a.name}: $a${i}`).join(', ')})` : '';
    const variables = Object.fromEntries(field.args.flatMap((a, i) => (a.name === 'siteId' ? [[`a${i}`, ownSite]] : isNonNullType(a.type) ? [[`a${i}`, ownSiteValue(a.type, ownSite)]] : [])));
    reads.push({ name: `Query.${field.name}`, document: `query${declared ? ` (${declared})` : ''} { ${field.name}${call}${selection ? ` { ${selection} }` : ''} }`, variables });
  }
  return reads;
}
