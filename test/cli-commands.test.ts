/**
 * Every command: `--help` works (exit 0, a usage line), and `--json` prints exactly one envelope
 * `{"command", "result", "error"?}` on stdout, errors included, whose `error.exitCode` is the exit code.
 * Real SDK clients against the local endpoint.
 */
import { run, serveEndpointForSuite } from './cli-fixture';
import { FakeAwsEndpoint, jsonError } from './fake-aws-endpoint';

const endpoint = new FakeAwsEndpoint();
serveEndpointForSuite(endpoint);
beforeEach(() => endpoint.on('ssm:GetParameter', () => jsonError(400, 'ParameterNotFound', 'not found')));

const COMMANDS = [
  'status',
  'stop',
  'resume',
  'rollback',
  'plan',
  'sandbox deploy',
  'sandbox diff',
  'sandbox list',
  'sandbox renew',
  'sandbox destroy',
  'window',
  'freeze declare',
  'freeze lift',
  'freeze list',
  'override',
  'guard',
  'metrics',
];

test.each(COMMANDS)('%s --help: exit 0, a usage line, and --json among the options', async (command) => {
  const result = await run(...command.split(' '), '--help');
  expect(result.code).toBe(0);
  expect(result.out[0]).toMatch(new RegExp(`^Usage: tollgate ${command} `));
  expect(result.stdout).toContain('--json');
});

const EXECUTION = 'e3000000-0000-0000-0000-000000000003';

test.each([
  [['status'], 0],
  [['stop', '--reason', 'incident 42'], 0],
  [['resume', '--reason', 'fixed'], 0],
  [['rollback', '--reason', 'r', '--yes'], 0],
  [['rollback', '--reason', 'r'], 2],
  [['window', '--at', '2026-11-23T10:00:00-05:00'], 0],
  [['window', '--at', 'tomorrow'], 2],
  [['freeze', 'declare', '--name', 'incident-1', '--reason', 'r', '--until', '2026-11-24T12:00:00Z'], 0],
  [['freeze', 'lift', '--name', 'incident-1'], 2],
  [['freeze', 'list'], 0],
  [['override', '--execution', EXECUTION, '--reason', 'hotfix'], 0],
  [['plan', '--dir', '/nonexistent/cdk.out'], 2],
  [['guard', '--assembly', '/nonexistent/cdk.out'], 2],
  [['metrics'], 0],
  [['metrics', '--since', 'last year'], 2],
  [['sandbox', 'list'], 2],
  [['stop'], 2],
])('%j --json: one envelope on stdout, exit %i', async (args, code) => {
  const result = await run(...args, '--json');
  expect(result.code).toBe(code);
  const envelope = JSON.parse(result.stdout) as Record<string, unknown>;
  const command = args.filter((a, i) => !a.startsWith('-') && (i === 0 || (args[0] === 'freeze' || args[0] === 'sandbox') && i === 1)).join(' ');
  expect(envelope.command).toBe(command);
  expect(Object.keys(envelope).sort()).toEqual(code === 0 ? ['command', 'result'] : ['command', 'error', 'result']);
  if (code !== 0) expect(envelope.error).toEqual({ message: expect.any(String), exitCode: code });
  // Instants in ISO seconds, never with milliseconds.
  expect(result.stdout).not.toMatch(/\d{2}:\d{2}:\d{2}\.\d{3}Z/);
});
