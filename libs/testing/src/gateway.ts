import { devToken, type Caller } from '@opsgraph/core';
import { composeSupergraph, startGateway } from '@opsgraph/gateway';
import { postGraphQL, type GraphQLResult } from './services';

export interface TestGateway {
  url: string;
  /** Queries through the gateway with a fresh user token for `caller` (or none: unauthenticated). */
  query<T = any>(query: string, variables?: Record<string, unknown>, caller?: Caller | null, headers?: Record<string, string>): Promise<GraphQLResult<T>>;
  stop(): Promise<void>;
}

/** Starts the real gateway over the composed supergraph, pointed at the given subgraph URLs. */
export async function startTestGateway(subgraphUrls: Record<string, string>): Promise<TestGateway> {
  const app = await startGateway({ port: 0, supergraphSdl: composeSupergraph(), subgraphUrls });
  return {
    url: app.url,
    async query(query, variables = {}, caller, headers = {}) {
      const auth: Record<string, string> = caller ? { authorization: `Bearer ${await devToken(caller)}` } : {};
      return postGraphQL(app.url, query, variables, { ...auth, ...headers });
    },
    stop: () => app.close(),
  };
}
