import {
  GraphQLObjectType,
  GraphQLSchema,
  Kind,
  TypeInfo,
  print,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type GraphQLFieldConfigArgumentMap,
  type OperationDefinitionNode,
} from 'graphql';

/**
 * The gateway's own Subscription type: each field is the live form of a Query field, and an update is that
 * query's answer now. Argument and result types are copied from the supergraph's Query field, so they always
 * match what the subgraphs serve.
 */
export const SUBSCRIPTION_FIELDS: Record<string, { query: string; description: string }> = {
  board: { query: 'board', description: 'The board of a site or one of its areas, sent again whenever it changes.' },
  workItemsChanged: { query: 'workItems', description: 'The work items a filter selects (as `workItems`), sent again whenever that page changes.' },
  workItemChanged: { query: 'workItem', description: 'One work item (as `workItem`), sent again whenever it changes.' },
  restartReadiness: { query: 'restartReadiness', description: '"May we restart?" for an area or a line (as the query), sent again whenever the answer changes.' },
  handover: { query: 'handover', description: 'The shift handover of a site or area (as the query), sent again whenever it changes.' },
  handoverStatus: { query: 'handoverStatus', description: 'Per area, who accepted which handover (as the query), sent again whenever it changes.' },
};

const LIVE_NOTE =
  'Every message is the whole current answer, not a difference: a record that left the picture (or your scope) is simply absent from the next one. ' +
  '`extensions.position` marks each message; subscribe again with `extensions: { position }` to get what changed since (`catchUp: true`), or the whole picture marked `reset: true` when the position is older than the retention window.';

/** The API schema plus the Subscription type (fields whose Query counterpart is missing are left out). */
export function withSubscriptions(apiSchema: GraphQLSchema): GraphQLSchema {
  const queryType = apiSchema.getQueryType();
  if (!queryType || apiSchema.getSubscriptionType()) return apiSchema;
  const queryFields = queryType.getFields();
  const subscription = new GraphQLObjectType({
    name: 'Subscription',
    description: `Live answers through the one graph, over WebSocket (graphql-ws) or Server-Sent Events (graphql-sse) at the gateway's URL. ${LIVE_NOTE}`,
    fields: () =>
      Object.fromEntries(
        Object.entries(SUBSCRIPTION_FIELDS)
          .filter(([, { query }]) => queryFields[query])
          .map(([name, { query, description }]) => {
            const field = queryFields[query];
            const args: GraphQLFieldConfigArgumentMap = Object.fromEntries(
              field.args.map((a) => [a.name, { type: a.type, description: a.description, defaultValue: a.defaultValue, deprecationReason: a.deprecationReason, astNode: a.astNode }]),
            );
            return [name, { type: field.type, args, description }];
          }),
      ),
  });
  return new GraphQLSchema({ ...apiSchema.toConfig(), subscription });
}

/**
 * The query that answers a subscription: the operation becomes a query and each Subscription field its Query
 * field, aliased to the name the client asked for (so the answer has the shape the client expects).
 */
export function subscriptionAsQuery(schema: GraphQLSchema, document: DocumentNode): DocumentNode {
  const typeInfo = new TypeInfo(schema);
  const subscriptionType = schema.getSubscriptionType();
  return visit(
    document,
    visitWithTypeInfo(typeInfo, {
      OperationDefinition: (node) => (node.operation === 'subscription' ? ({ ...node, operation: 'query' } as OperationDefinitionNode) : undefined),
      NamedType: (node) => (subscriptionType && node.name.value === subscriptionType.name ? { ...node, name: { ...node.name, value: 'Query' } } : undefined),
      Field: (node) => {
        const parent = typeInfo.getParentType();
        if (!parent || parent !== subscriptionType) return undefined;
        const mapped = SUBSCRIPTION_FIELDS[node.name.value];
        if (!mapped || mapped.query === node.name.value) return undefined;
        return { ...node, alias: node.alias ?? { kind: Kind.NAME, value: node.name.value }, name: { ...node.name, value: mapped.query } };
      },
    }),
  );
}

export const printQuery = (document: DocumentNode) => print(document);

/** True when every root field of the operation is introspection (`__schema`, `__type`, `__typename`). */
export function onlyIntrospection(operation: OperationDefinitionNode, document: DocumentNode): boolean {
  const fragments = new Map(document.definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d] as const));
  const check = (selections: OperationDefinitionNode['selectionSet']['selections'], seen: Set<string>): boolean =>
    selections.every((s) => {
      if (s.kind === Kind.FIELD) return s.name.value.startsWith('__');
      if (s.kind === Kind.INLINE_FRAGMENT) return check(s.selectionSet.selections, seen);
      const f = fragments.get(s.name.value);
      return !!f && !seen.has(s.name.value) && check(f.selectionSet.selections, new Set([...seen, s.name.value]));
    });
  return check(operation.selectionSet.selections, new Set());
}
