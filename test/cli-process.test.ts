/**
 * The CLI as on-call runs it, a process of its own (`tsx cli/main.ts`), against a local endpoint: what reaches the
 * terminal is the command's own lines and nothing else. On Node 20 the AWS SDK prints a nine-line notice about
 * its Node 22 requirement whenever a client is built, unless the CLI turns exactly that notice off.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { callerIdentity } from './cli-fixture';
import { FakeAwsEndpoint } from './fake-aws-endpoint';

const root = path.join(__dirname, '..');
const tsx = path.join(root, 'node_modules', '.bin', 'tsx');
const endpoint = new FakeAwsEndpoint();
let url: string;

beforeAll(async () => {
  url = await endpoint.start();
  // Credentials for another account than the configured deployment account: the CLI builds its clients, calls
  // STS once and stops with one line, exit 2.
  endpoint.on('sts:GetCallerIdentity', () => callerIdentity('arn:aws:sts::999999999999:assumed-role/OnCall/bob'));
});
afterAll(() => endpoint.stop());

/**
 * Runs `command` with `args` in the repository, with nothing of the developer's environment but PATH and HOME:
 * the SDK pointed at the local endpoint, and no switch that would turn the SDK's notice off beforehand.
 */
function runProcess(command: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/nonexistent',
    AWS_ENDPOINT_URL: url,
    AWS_ACCESS_KEY_ID: 'AKIDLOCALTEST',
    AWS_SECRET_ACCESS_KEY: 'local-test-secret',
    AWS_MAX_ATTEMPTS: '1',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: '/nonexistent/aws-config',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
  };
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: root, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const nodeMajor = Number(process.versions.node.split('.')[0]);

test('an AWS-touching command prints only its own line on stderr: no SDK notice about Node versions', async () => {
  const result = await runProcess(tsx, ['cli/main.ts', 'status']);
  expect(result.stderr.trimEnd().split('\n')).toEqual([
    'tollgate: wrong account: your credentials (arn:aws:sts::999999999999:assumed-role/OnCall/bob) are for account 999999999999, but the deployment account of pipeline Tollgate is account 111111111111; switch AWS_PROFILE',
  ]);
  expect(result.stdout).toBe('');
  expect(result.code).toBe(2);
  expect(endpoint.calls('sts:GetCallerIdentity').length).toBeGreaterThan(0);
});

// The assertion above means something only where the SDK would print the notice: a bare client does, on Node < 22.
(nodeMajor < 22 ? test : test.skip)('control: on this Node an SDK client built without the CLI prints the notice', async () => {
  const script = "new (require('@aws-sdk/client-sts').STSClient)({ region: 'us-east-1' })";
  const result = await runProcess(process.execPath, ['-e', script]);
  expect(result.stderr).toContain('NodeVersionSupportWarning');
});
