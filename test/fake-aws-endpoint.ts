/**
 * A local stand-in for the AWS endpoints Tollgate calls, on 127.0.0.1, speaking each service's wire
 * protocol as the installed SDK clients expect it: STS, SNS and CloudFormation (DescribeStacks, DescribeChangeSet)
 * the query protocol with XML answers and errors, CloudWatch AWS JSON 1.0 (query-compatible errors), DynamoDB AWS JSON 1.0, CodePipeline and SSM
 * AWS JSON 1.1.
 * Point the SDK at it with `AWS_ENDPOINT_URL`, so retries, timeouts and error parsing really run.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export type Service = 'sts' | 'monitoring' | 'codepipeline' | 'ssm' | 'sns' | 'cloudformation' | 'dynamodb';

export interface RecordedRequest {
  readonly service: Service;
  readonly operation: string;
  /** JSON body for the JSON protocols; the form fields for the query protocol. */
  readonly input: Record<string, unknown>;
  readonly receivedAt: bigint;
  /** The access key ID the request was signed with (from its SigV4 credential scope). */
  readonly accessKeyId?: string;
}

export interface Reply {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body: string;
}

/** Answers one request; `undefined` falls through to the next handler, then to a 400. */
export type Handler = (request: RecordedRequest) => Reply | 'hang' | undefined;

const CONTENT_TYPE: Record<Service, string> = {
  sts: 'text/xml',
  sns: 'text/xml',
  cloudformation: 'text/xml',
  monitoring: 'application/x-amz-json-1.0',
  dynamodb: 'application/x-amz-json-1.0',
  codepipeline: 'application/x-amz-json-1.1',
  ssm: 'application/x-amz-json-1.1',
};

export class FakeAwsEndpoint {
  readonly requests: RecordedRequest[] = [];
  private readonly handlers = new Map<string, Handler[]>();
  private readonly server = http.createServer((req, res) => this.handle(req, res));
  private readonly hanging = new Set<http.ServerResponse>();
  /** Called for every request once it is recorded (benchmarks time the moment a call arrives). */
  onRequest?: (request: RecordedRequest) => void;

  /** Starts listening on a free port of 127.0.0.1 and resolves to the endpoint URL. */
  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Adds a handler for `service:Operation`, tried after those added before it. */
  on(operation: `${Service}:${string}`, handler: Handler): this {
    this.handlers.set(operation, [...(this.handlers.get(operation) ?? []), handler]);
    return this;
  }

  /** Adds a handler for `service:Operation` that is tried before all others: a fault over a healthy world. */
  first(operation: `${Service}:${string}`, handler: Handler): this {
    this.handlers.set(operation, [handler, ...(this.handlers.get(operation) ?? [])]);
    return this;
  }

  /** Forgets every handler and request. */
  reset(): void {
    this.handlers.clear();
    this.requests.length = 0;
  }

  calls(operation: `${Service}:${string}`): RecordedRequest[] {
    return this.requests.filter((r) => `${r.service}:${r.operation}` === operation);
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const receivedAt = process.hrtime.bigint();
      const body = Buffer.concat(chunks).toString('utf8');
      // The SigV4 credential scope names the service: Credential=AKID/20260310/us-east-1/sts/aws4_request.
      const service = /Credential=[^/]+\/\d+\/[^/]+\/([^/]+)\//.exec(req.headers.authorization ?? '')?.[1] as Service | undefined;
      if (!service || !(service in CONTENT_TYPE)) {
        res.writeHead(400).end(`unsigned or unknown service: ${req.headers.authorization}`);
        return;
      }
      const target = req.headers['x-amz-target'];
      let operation: string;
      let input: Record<string, unknown>;
      if (typeof target === 'string') {
        operation = target.split('.').pop() ?? '';
        input = body ? JSON.parse(body) : {};
      } else {
        const form = new URLSearchParams(body);
        operation = form.get('Action') ?? '';
        input = Object.fromEntries(form.entries());
      }
      const accessKeyId = /Credential=([^/]+)\//.exec(req.headers.authorization ?? '')?.[1];
      const request: RecordedRequest = { service, operation, input, receivedAt, accessKeyId };
      this.requests.push(request);
      this.onRequest?.(request);
      for (const handler of this.handlers.get(`${service}:${operation}`) ?? []) {
        const reply = handler(request);
        if (reply === 'hang') {
          this.hanging.add(res);
          return;
        }
        if (reply) {
          res.writeHead(reply.status, { 'content-type': CONTENT_TYPE[service], 'x-amzn-requestid': 'req-1', ...reply.headers });
          res.end(reply.body);
          return;
        }
      }
      res.writeHead(400, { 'content-type': 'text/plain' }).end(`no fake for ${service}:${operation}`);
    });
  }
}

/** A successful AWS JSON answer. */
export function json(body: unknown): Reply {
  return { status: 200, body: JSON.stringify(body) };
}

/**
 * An AWS JSON error. CloudWatch is query-compatible: it also names the query error code in a header, which
 * the SDK prefers.
 */
export function jsonError(status: number, type: string, message: string, queryCode?: string): Reply {
  return {
    status,
    headers: queryCode ? { 'x-amzn-query-error': `${queryCode};${status >= 500 ? 'Receiver' : 'Sender'}` } : undefined,
    body: JSON.stringify({ __type: type, message }),
  };
}

/** A successful query-protocol answer: `<{Action}Response><{Action}Result>…`. */
export function xml(action: string, result: string, namespace: string): Reply {
  return {
    status: 200,
    body: `<${action}Response xmlns="${namespace}"><${action}Result>${result}</${action}Result><ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></${action}Response>`,
  };
}

/** A query-protocol error. */
export function xmlError(status: number, code: string, message: string, namespace: string): Reply {
  return {
    status,
    body: `<ErrorResponse xmlns="${namespace}"><Error><Type>${status >= 500 ? 'Receiver' : 'Sender'}</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>req-1</RequestId></ErrorResponse>`,
  };
}

export const STS_NS = 'https://sts.amazonaws.com/doc/2011-06-15/';
export const CLOUDFORMATION_NS = 'http://cloudformation.amazonaws.com/doc/2010-05-15/';
export const SNS_NS = 'http://sns.amazonaws.com/doc/2010-03-31/';

/** An AssumeRole answer with credentials valid for an hour of real time (the SDK checks them against it). */
export function assumeRoleReply(roleArn: string): Reply {
  const expiration = new Date(Date.now() + 3600_000).toISOString();
  return xml(
    'AssumeRole',
    `<Credentials><AccessKeyId>ASIAFAKE</AccessKeyId><SecretAccessKey>secret</SecretAccessKey><SessionToken>token</SessionToken><Expiration>${expiration}</Expiration></Credentials><AssumedRoleUser><Arn>${roleArn}/tollgate-bake-gate</Arn><AssumedRoleId>AROAFAKE:tollgate-bake-gate</AssumedRoleId></AssumedRoleUser>`,
    STS_NS,
  );
}

export function publishReply(): Reply {
  return xml('Publish', '<MessageId>msg-1</MessageId>', SNS_NS);
}

/** A value in AWS JSON wire form: timestamps (Dates, ISO strings in UTC) as epoch seconds. */
export function toWire(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (_k, v) => (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T.*Z$/.test(v) ? Date.parse(v) / 1000 : v)));
}

/** Seconds since the epoch, as the AWS JSON protocols write timestamps. */
export function epoch(date: Date): number {
  return date.getTime() / 1000;
}

/** A value in the query protocol's XML: objects as elements, arrays as `<member>` lists. */
export function toQueryXml(value: unknown): string {
  if (Array.isArray(value)) return value.map((v) => `<member>${toQueryXml(v)}</member>`).join('');
  if (value && typeof value === 'object') {
    return Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `<${k}>${toQueryXml(v)}</${k}>`)
      .join('');
  }
  return String(value).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** One page of a DescribeChangeSet answer (`Changes` in the API's shape; `NextToken` when more pages follow). */
export function describeChangeSetReply(page: { StackName: string; ChangeSetId: string; Status: string; StatusReason?: string; Changes: readonly unknown[]; NextToken?: string }): Reply {
  return xml('DescribeChangeSet', toQueryXml({ ChangeSetName: 'PipelineChange', ...page, ExecutionStatus: 'AVAILABLE' }), CLOUDFORMATION_NS);
}
