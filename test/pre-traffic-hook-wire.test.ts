/**
 * The hook against a local HTTP endpoint on 127.0.0.1 standing in for Lambda and CodeDeploy: the real SDK
 * serializers, retries and error mapping run.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { runPreTrafficHook } from '../lambdas/pre-traffic-hook/adapter';

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;

interface Recorded {
  readonly target: string;
  readonly path: string;
  readonly body: string;
}

let server: Server;
let endpoint: string;
let recorded: Recorded[];
let lambdaReply: Handler;
let codedeployReply: Handler;

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
};

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      recorded.push({ target, path: req.url ?? '', body });
      (target.startsWith('CodeDeploy_') ? codedeployReply : lambdaReply)(req, body, res);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  server.close();
});

beforeEach(() => {
  recorded = [];
  codedeployReply = (_req, body, res) => json(res, 200, { lifecycleEventHookExecutionId: JSON.parse(body).lifecycleEventHookExecutionId });
});

afterEach(() => server.closeAllConnections());

function deps() {
  const clientConfig = {
    region: 'us-east-1',
    endpoint,
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
    maxAttempts: 2,
  };
  let t = 0;
  return {
    lambda: new LambdaClient(clientConfig),
    codedeploy: new CodeDeployClient(clientConfig),
    env: {
      TARGET_FUNCTION_ARN: 'arn:aws:lambda:us-east-1:333333333333:function:Prod-Service-Handler:7',
      SMOKE_REQUEST: JSON.stringify({ method: 'GET', path: '/health' }),
      EXPECTED_STATUS_CODE: '200',
      SMOKE_TIMEOUT_MS: '300',
    },
    now: () => (t += 5),
    log: () => undefined,
  };
}

const event = { DeploymentId: 'd-WIRE', LifecycleEventHookExecutionId: 'hook-wire-1' };
const invokes = () => recorded.filter((r) => r.path.startsWith('/2015-03-31/functions/'));
const reports = () => recorded.filter((r) => r.target === 'CodeDeploy_20141006.PutLifecycleEventHookExecutionStatus').map((r) => JSON.parse(r.body));

test('a function error from the new version reports Failed to CodeDeploy', async () => {
  lambdaReply = (_req, _body, res) => json(res, 200, { errorType: 'Error', errorMessage: 'table not found' }, { 'x-amz-function-error': 'Unhandled' });

  const verdict = await runPreTrafficHook(event, deps());

  expect(verdict.status).toBe('Failed');
  expect(verdict.reason).toContain('table not found');
  expect(invokes()).toHaveLength(1);
  expect(decodeURIComponent(invokes()[0].path)).toBe('/2015-03-31/functions/arn:aws:lambda:us-east-1:333333333333:function:Prod-Service-Handler:7/invocations');
  expect(JSON.parse(invokes()[0].body)).toMatchObject({ version: '2.0', rawPath: '/health' });
  expect(reports()).toEqual([{ deploymentId: 'd-WIRE', lifecycleEventHookExecutionId: 'hook-wire-1', status: 'Failed' }]);
});

test('a healthy answer reports Succeeded', async () => {
  lambdaReply = (_req, _body, res) => json(res, 200, { statusCode: 200, body: '{"ok":true}' });
  expect((await runPreTrafficHook(event, deps())).status).toBe('Succeeded');
  expect(reports()).toEqual([expect.objectContaining({ status: 'Succeeded' })]);
});

test('a new version that never answers times out and reports Failed', async () => {
  lambdaReply = () => undefined; // holds the connection open, never answers

  const verdict = await runPreTrafficHook(event, deps());

  expect(verdict).toEqual({ status: 'Failed', reason: 'the new version did not answer within 300 ms' });
  expect(reports()).toEqual([expect.objectContaining({ status: 'Failed' })]);
});

test('persistent throttling is retried, then reports Failed', async () => {
  lambdaReply = (_req, _body, res) => json(res, 429, { message: 'Rate exceeded' }, { 'x-amzn-errortype': 'TooManyRequestsException' });
  const settings = deps();

  const verdict = await runPreTrafficHook(event, { ...settings, env: { ...settings.env, SMOKE_TIMEOUT_MS: '5000' } });

  expect(verdict.reason).toMatch(/^invoking the new version failed: TooManyRequestsException/);
  expect(invokes()).toHaveLength(2);
  expect(reports()).toEqual([expect.objectContaining({ status: 'Failed' })]);
});

test('access denied on Invoke reports Failed without retrying', async () => {
  lambdaReply = (_req, _body, res) => json(res, 403, { message: 'not authorized to perform lambda:InvokeFunction' }, { 'x-amzn-errortype': 'AccessDeniedException' });

  const verdict = await runPreTrafficHook(event, deps());

  expect(verdict.reason).toMatch(/^invoking the new version failed: AccessDeniedException/);
  expect(invokes()).toHaveLength(1);
  expect(reports()).toEqual([expect.objectContaining({ status: 'Failed' })]);
});

test('a CodeDeploy that keeps answering 500 makes the hook reject after its retries', async () => {
  lambdaReply = (_req, _body, res) => json(res, 200, { statusCode: 200 });
  codedeployReply = (_req, _body, res) => json(res, 500, { __type: 'InternalFailure', message: 'try later' });

  await expect(runPreTrafficHook(event, deps())).rejects.toThrow();
  expect(reports()).toHaveLength(2);
});
