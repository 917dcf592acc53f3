import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the proxy does to a matching call instead of forwarding it. */
export type FaultKind = 'throttle' | '500' | '503' | 'drop' | 'hang' | 'answer' | 'trickle' | 'mutate';

export interface Fault {
  /** The API operation (`GetKeyPolicy`, `DescribeTrails`…). */
  readonly operation: string;
  /** Only calls signed for this Region; every Region when absent. */
  readonly region?: string;
  readonly kind: FaultKind;
  /** How many matching calls get the fault before calls go through (Infinity: all of them). */
  readonly times: number;
  /**
   * For `answer` and `trickle`: the body of a 200 answer sent instead of AWS's — a JSON value (sent as the JSON
   * protocols send it) or raw text (for the query protocols' XML). `trickle` sends it a byte every quarter second,
   * so the connection is never idle long enough for a request timeout to notice.
   */
  readonly body?: unknown;
  /** For `answer`: the HTTP status (200 when absent), for error answers of one's own making. */
  readonly status?: number;
  /** For `mutate`: AWS's JSON answer is forwarded changed by this function (a 200 answer only). */
  readonly mutate?: (answer: unknown) => unknown;
}

export interface FaultProxy {
  readonly endpoint: string;
  /** Calls seen per `operation` and per `operation region`, faulted or not. */
  readonly calls: Map<string, number>;
  /** Resolves when a call of the operation arrives (for interrupting a run mid-way). */
  seen(operation: string): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A loopback HTTP proxy in front of moto that injects the faults AWS clients meet — throttling, 5xx answers,
 * dropped connections, answers that never come — on chosen operations, and forwards everything else untouched.
 * The operation is read from the request as the SDK sends it: `X-Amz-Target` (JSON protocols: KMS, CloudTrail)
 * or the `Action` form field (query protocols: STS, EC2); the Region from the signature's credential scope.
 */
export async function startFaultProxy(upstream: string, faults: readonly Fault[]): Promise<FaultProxy> {
  const remaining = faults.map((f) => ({ ...f, left: f.times }));
  const calls = new Map<string, number>();
  const waiting = new Map<string, (() => void)[]>();
  const hung = new Set<ServerResponse>();
  const target = new URL(upstream);

  const server = createServer(async (req, res) => {
    const body = await readBody(req);
    const operation = operationOf(req, body);
    const region = /Credential=[^/]+\/\d{8}\/([a-z0-9-]+)\//.exec(String(req.headers.authorization ?? ''))?.[1] ?? '';
    for (const key of [operation, `${operation} ${region}`]) calls.set(key, (calls.get(key) ?? 0) + 1);
    for (const resolve of waiting.get(operation) ?? []) resolve();
    waiting.delete(operation);
    const fault = remaining.find((f) => f.operation === operation && (f.region === undefined || f.region === region) && f.left > 0);
    if (fault !== undefined && fault.kind !== 'mutate') {
      fault.left--;
      inject(fault, req, res, hung);
      return;
    }
    const forwarded = httpRequest(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } },
      (answer) => {
        if (fault?.mutate === undefined || answer.statusCode !== 200) {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
          return;
        }
        fault.left--;
        const change = fault.mutate;
        readBody(answer).then(
          (raw) => {
            const text = JSON.stringify(change(JSON.parse(raw.toString('utf8'))));
            const { 'content-length': _, 'x-amz-crc32': __, ...headers } = answer.headers;
            res.writeHead(200, { ...headers, 'content-length': Buffer.byteLength(text) });
            res.end(text);
          },
          () => res.destroy(),
        );
      },
    );
    forwarded.on('error', () => res.destroy());
    forwarded.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    seen: (operation) =>
      new Promise((resolve) => {
        if ((calls.get(operation) ?? 0) > 0) return resolve();
        waiting.set(operation, [...(waiting.get(operation) ?? []), resolve]);
      }),
    stop: () =>
      new Promise((resolve) => {
        for (const res of hung) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function inject(fault: Fault, req: IncomingMessage, res: ServerResponse, hung: Set<ServerResponse>): void {
  const kind = fault.kind;
  const json = (status: number, type: string, message: string) => {
    res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': 'fault-proxy' });
    res.end(JSON.stringify({ __type: type, message }));
  };
  switch (kind) {
    case 'throttle':
      json(400, 'ThrottlingException', 'Rate exceeded');
      return;
    case '500':
      json(500, 'InternalFailure', 'injected internal failure');
      return;
    case '503':
      json(503, 'ServiceUnavailableException', 'injected: service unavailable');
      return;
    case 'drop':
      req.socket.destroy();
      return;
    case 'hang':
      hung.add(res);
      return;
    case 'answer':
    case 'trickle': {
      const raw = typeof fault.body === 'string';
      const text = raw ? (fault.body as string) : JSON.stringify(fault.body);
      res.writeHead(fault.status ?? 200, {
        'content-type': raw ? 'text/xml' : 'application/x-amz-json-1.1',
        'x-amzn-requestid': 'fault-proxy',
        ...(kind === 'answer' ? { 'content-length': Buffer.byteLength(text) } : {}),
      });
      if (kind === 'answer') {
        res.end(text);
        return;
      }
      hung.add(res);
      let at = 0;
      const timer = setInterval(() => {
        if (res.destroyed || at >= text.length) {
          clearInterval(timer);
          res.end();
          return;
        }
        res.write(text[at++]);
      }, 250);
      return;
    }
  }
}

function operationOf(req: IncomingMessage, body: Buffer): string {
  const amzTarget = req.headers['x-amz-target'];
  if (typeof amzTarget === 'string') return amzTarget.slice(amzTarget.lastIndexOf('.') + 1).replace(/^CloudTrail_\d+\./, '');
  return new URLSearchParams(body.toString('utf8')).get('Action') ?? 'unknown';
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
