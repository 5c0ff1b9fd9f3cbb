import { subgraphDefinitions } from '@opsgraph/gateway';
import { EVIDENCE_KINDS } from '@opsgraph/events';
import { print, type DefinitionNode, type DocumentNode } from 'graphql';

/**
 * Types that several subgraphs declare because they take the same input (a required outcome: Work, and the
 * domains that raise work). Composition merges inputs by the fields they share, so a copy that drifts would
 * silently lose a field: every copy must be Work's, and the evidence kinds the event contracts' own.
 */
const SHARED = ['RequiredOutcomeInput', 'EvidenceRequirementInput', 'EvidenceKind'];

const definitionOf = (typeDefs: DocumentNode, name: string): DefinitionNode | undefined =>
  typeDefs.definitions.find((d) => 'name' in d && d.name?.value === name);
const withoutDescriptions = (node: DefinitionNode) => print(JSON.parse(JSON.stringify(node, (key, value) => (key === 'description' || key === 'loc' ? undefined : value))));

test('every copy of a shared input or enum is the same as Work\'s', () => {
  const subgraphs = subgraphDefinitions();
  const work = subgraphs.find((s) => s.name === 'work')!;
  const copies = subgraphs.filter((s) => s.name !== 'work').flatMap((s) => SHARED.flatMap((name) => {
    const copy = definitionOf(s.typeDefs, name);
    return copy ? [{ subgraph: s.name, name, copy: withoutDescriptions(copy), work: withoutDescriptions(definitionOf(work.typeDefs, name)!) }] : [];
  }));
  expect(copies.length).toBeGreaterThanOrEqual(9);
  for (const c of copies) expect({ subgraph: c.subgraph, name: c.name, sdl: c.copy }).toEqual({ subgraph: c.subgraph, name: c.name, sdl: c.work });
});

test('the evidence kinds of the graph are the event contracts\' own', () => {
  const work = subgraphDefinitions().find((s) => s.name === 'work')!;
  const kinds = definitionOf(work.typeDefs, 'EvidenceKind') as unknown as { values: { name: { value: string } }[] };
  expect(kinds.values.map((v) => v.name.value)).toEqual([...EVIDENCE_KINDS]);
});
