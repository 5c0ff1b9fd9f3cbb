import { GraphQLError, Kind, getNamedType, getNullableType, isCompositeType, isListType, isObjectType, isInterfaceType, type ASTVisitor, type FragmentDefinitionNode, type GraphQLCompositeType, type SelectionSetNode, type ValidationContext } from 'graphql';
import { envInt } from './config';

/**
 * Refuses queries that are too deep or too costly before they run. Cost counts every field once,
 * multiplied by the sizes of the lists around it: a list's `first` argument, or `listSize` for lists
 * without one, so nested lists cost what they may really load. Every root field (each alias of one too)
 * costs `rootFieldCost`: it is a query plan of its own, with its own reads in each subgraph it reaches, so
 * a thousand aliases of one cheap-looking field are refused before they run. Introspection fields are not
 * counted.
 */
export function queryLimitsRule(maxDepth = envInt('OPSGRAPH_MAX_DEPTH', 12), maxCost = envInt('OPSGRAPH_MAX_COST', 100_000), listSize = 10, rootFieldCost = envInt('OPSGRAPH_ROOT_FIELD_COST', 1_000)) {
  return (context: ValidationContext): ASTVisitor => {
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const def of context.getDocument().definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);

    const schema = context.getSchema();
    // `pending` is a page size given on a field that is not itself a list (e.g. `board(first: 50)`):
    // it sizes the first list below it instead of multiplying everything under the field.
    const measure = (set: SelectionSetNode, parent: GraphQLCompositeType | undefined, depth: number, multiplier: number, seen: Set<string>, pending = 1): { depth: number; cost: number } => {
      let deepest = depth;
      let cost = 0;
      for (const sel of set.selections) {
        if (sel.kind === Kind.FIELD) {
          if (sel.name.value.startsWith('__')) continue;
          const def = parent && (isObjectType(parent) || isInterfaceType(parent)) ? parent.getFields()[sel.name.value] : undefined;
          const first = sel.arguments?.find((a) => a.name.value === 'first');
          const isList = def ? isListType(getNullableType(def.type)) : false;
          const given = first?.value.kind === Kind.INT ? Number(first.value.value) : first ? 50 : undefined;
          const size = isList ? (given ?? (pending > 1 ? pending : listSize)) : 1;
          cost += depth === 1 ? rootFieldCost : multiplier;
          if (sel.selectionSet) {
            const named = def ? getNamedType(def.type) : undefined;
            const below = isList ? 1 : (given ?? pending);
            const inner = measure(sel.selectionSet, named && isCompositeType(named) ? named : undefined, depth + 1, multiplier * Math.max(1, size), seen, below);
            deepest = Math.max(deepest, inner.depth);
            cost += inner.cost;
          }
        } else if (sel.kind === Kind.INLINE_FRAGMENT) {
          const typed = sel.typeCondition ? schema.getType(sel.typeCondition.name.value) : parent;
          const inner = measure(sel.selectionSet, typed && isCompositeType(typed) ? typed : parent, depth, multiplier, seen, pending);
          deepest = Math.max(deepest, inner.depth);
          cost += inner.cost;
        } else {
          const fragment = fragments.get(sel.name.value);
          if (!fragment || seen.has(sel.name.value)) continue; // cycles are reported by the standard rules
          const typed = schema.getType(fragment.typeCondition.name.value);
          const inner = measure(fragment.selectionSet, typed && isCompositeType(typed) ? typed : parent, depth, multiplier, new Set([...seen, sel.name.value]), pending);
          deepest = Math.max(deepest, inner.depth);
          cost += inner.cost;
        }
      }
      return { depth: deepest, cost };
    };

    return {
      OperationDefinition(node) {
        const root = node.operation === 'mutation' ? schema.getMutationType() : node.operation === 'subscription' ? schema.getSubscriptionType() : schema.getQueryType();
        const { depth, cost } = measure(node.selectionSet, root ?? undefined, 1, 1, new Set());
        if (depth > maxDepth) {
          context.reportError(new GraphQLError(`query is ${depth} levels deep; the limit is ${maxDepth}`, { nodes: [node], extensions: { code: 'QUERY_TOO_COMPLEX', depth, maxDepth } }));
        } else if (cost > maxCost) {
          context.reportError(new GraphQLError(`query would cost ${cost}; the limit is ${maxCost}`, { nodes: [node], extensions: { code: 'QUERY_TOO_COMPLEX', cost, maxCost } }));
        }
      },
    };
  };
}
