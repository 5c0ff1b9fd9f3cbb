import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SubgraphProxy {
  /** The proxy's GraphQL URL, to give the gateway in place of the subgraph's. */
  url: string;
  close(): Promise<void>;
}

/**
 * A loopback HTTP proxy in front of a subgraph, for tests that must see what the gateway sends: `inspect`
 * gets each request's parsed JSON body and may answer it itself (returning true), as a subgraph in another
 * state would; otherwise the request goes on to the subgraph unchanged.
 */
export async function startSubgraphProxy(targetUrl: string, inspect: (body: any, res: http.ServerResponse) => boolean | void): Promise<SubgraphProxy> {
  const target = new URL(targetUrl);
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (inspect(JSON.parse(body.toString('utf8')), res)) return;
      const forward = http.request({ host: target.hostname, port: target.port, path: target.pathname, method: 'POST', headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
