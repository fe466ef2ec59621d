/**
 * A stand-in for AWS on 127.0.0.1 for over-the-wire tests: the SDK, pointed at it with AWS_ENDPOINT_URL,
 * signs, serializes, retries and parses exactly as against AWS. It speaks AWS JSON 1.0/1.1 (CodePipeline,
 * SSM, CloudWatch: `X-Amz-Target`) and the query protocol (STS, CloudFormation: form body `Action=...`, XML).
 */
import * as http from 'node:http';
import { AddressInfo } from 'node:net';

export interface AwsCall {
  /** Operation name, e.g. `GetPipelineState`, `GetCallerIdentity`. */
  readonly operation: string;
  /** The JSON body, or the query parameters of a query-protocol call. */
  readonly input: Record<string, any>;
}

export type Reply =
  | { readonly json: unknown; readonly status?: number }
  | { readonly xml: string; readonly status?: number }
  | { readonly error: string; readonly message?: string; readonly status?: number };

/** Answers one call; `attempt` counts the calls of that operation since the last {@link LocalAws.reset}. */
export type Responder = (call: AwsCall, attempt: number) => Reply | Promise<Reply>;

export class LocalAws {
  /** Every request received, in order, retries included. */
  readonly calls: AwsCall[] = [];
  private readonly attempts = new Map<string, number>();

  private constructor(
    private readonly server: http.Server,
    readonly url: string,
  ) {}

  /** Starts a server on a free port of 127.0.0.1; `respond` answers each call (attempt counts per operation). */
  static async start(respond: Responder): Promise<LocalAws> {
    let local: LocalAws | undefined;
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const target = req.headers['x-amz-target'];
        const json = typeof target === 'string';
        const input: Record<string, any> = json ? (body ? JSON.parse(body) : {}) : Object.fromEntries(new URLSearchParams(body));
        const operation = json ? target.split('.').pop()! : String(input.Action);
        const call = { operation, input };
        local!.calls.push(call);
        const attempt = (local!.attempts.get(operation) ?? 0) + 1;
        local!.attempts.set(operation, attempt);
        const reply = await respond(call, attempt);
        const status = reply.status ?? ('error' in reply ? 400 : 200);
        if ('xml' in reply) {
          res.writeHead(status, { 'content-type': 'text/xml' }).end(reply.xml);
        } else if ('json' in reply) {
          res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(reply.json));
        } else if (json) {
          res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify({ __type: reply.error, message: reply.message ?? reply.error }));
        } else {
          res
            .writeHead(status, { 'content-type': 'text/xml' })
            .end(
              `<ErrorResponse><Error><Type>Sender</Type><Code>${reply.error}</Code><Message>${reply.message ?? reply.error}</Message></Error><RequestId>test</RequestId></ErrorResponse>`,
            );
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    local = new LocalAws(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return local;
  }

  /** Forgets the calls so far; attempts count from 1 again. */
  reset(): void {
    this.calls.length = 0;
    this.attempts.clear();
  }

  /** The operations called, in order. */
  operations(): string[] {
    return this.calls.map((c) => c.operation);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** STS GetCallerIdentity's answer for `arn`. */
export function callerIdentityXml(arn: string): string {
  const account = arn.split(':')[4];
  return `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>${arn}</Arn><UserId>AROAEXAMPLE:test</UserId><Account>${account}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>test</RequestId></ResponseMetadata></GetCallerIdentityResponse>`;
}

/**
 * Points the SDK's default resolution at `url` with dummy credentials, nothing from the developer's own
 * AWS configuration, and `maxAttempts` attempts; returns a function that restores the environment.
 */
export function useLocalAws(url: string, maxAttempts = 2): () => void {
  const saved = { ...process.env };
  for (const key of Object.keys(process.env)) if (key.startsWith('AWS_')) delete process.env[key];
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: url,
    AWS_ACCESS_KEY_ID: 'AKIDLOCALTEST',
    AWS_SECRET_ACCESS_KEY: 'local-test-secret',
    AWS_MAX_ATTEMPTS: String(maxAttempts),
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: '/nonexistent/aws-config',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
  });
  return () => {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  };
}
