import { readFileSync } from 'node:fs';
import { ConfigError, loadConfig, type ConfigSources } from '../cdk/config';
import { CONFIG_SCHEMA_FILE, configJsonSchemaText } from '../cdk/config-schema';

function lineOf(sources: ConfigSources): string {
  try {
    loadConfig(sources);
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

const CERT = 'arn:aws:acm:us-east-1:333333333333:certificate/0a1b2c3d-0000-0000-0000-000000000000';

// Per section: an unknown key, a wrong type, a bad value; each line names path, value and where it came from.
describe.each<[string, [ConfigSources, string][]]>([
  ['deployment', [
    [{ context: { deployment: { acount: '111111111111' } } }, 'deployment.acount is not a known setting (account, region), got "111111111111" (from cdk.json)'],
    [{ context: { deployment: { account: 111111111111 } } }, 'deployment.account must be a 12-digit AWS account ID, got 111111111111 (from cdk.json)'],
    [{ env: { TOLLGATE_DEPLOYMENT_REGION: 'Ireland' } }, 'deployment.region must be an AWS region name like us-east-1, got "Ireland" (from TOLLGATE_DEPLOYMENT_REGION)'],
  ]],
  ['dev', [
    [{ context: { dev: { acount: '222222222222' } } }, 'dev.acount is not a known setting (account, region), got "222222222222" (from cdk.json)'],
    [{ context: { dev: [] } }, 'dev must be an object, got [] (from cdk.json)'],
    [{ context: { dev: { account: '555555555555' } }, env: { TOLLGATE_DEV_ACCOUNT: '42' } }, 'dev.account must be a 12-digit AWS account ID, got "42" (from TOLLGATE_DEV_ACCOUNT)'],
  ]],
  ['prod', [
    [{ context: { prod: { regoin: 'eu-west-1' } } }, 'prod.regoin is not a known setting (account, region, waves), got "eu-west-1" (from cdk.json)'],
    [{ context: { prod: { region: 1 } } }, 'prod.region must be an AWS region name like us-east-1, got 1 (from cdk.json)'],
    [{ context: '{"prod":{"account":"3"}}' }, 'prod.account must be a 12-digit AWS account ID, got "3" (from -c tollgate)'],
  ]],
  ['sandbox', [
    [{ context: { sandbox: { name: 'alice' } } }, 'sandbox.name is not a known setting (account, region), got "alice" (from cdk.json)'],
    [{ context: { sandbox: 'alice' } }, 'sandbox must be an object, got "alice" (from cdk.json)'],
    [{ env: { TOLLGATE_SANDBOX_ACCOUNT: '333333333333' } }, `sandbox.account must be an account of its own, not prod's account (sandboxes never share an account with dev, prod or the pipeline), got "333333333333" (from TOLLGATE_SANDBOX_ACCOUNT)`],
    // The sandbox keeps its example account when dev moves onto it: the line says the value is a default.
    [{ context: { dev: { account: '444444444444' } } }, `sandbox.account must be an account of its own, not dev's account (sandboxes never share an account with dev, prod or the pipeline), got "444444444444" (from the defaults)`],
  ]],
  ['repository', [
    [{ context: { repository: { branh: 'release' } } }, 'repository.branh is not a known setting (fullName, branch, connectionArn), got "release" (from cdk.json)'],
    [{ context: { repository: { branch: ['main'] } } }, 'repository.branch must be a non-empty branch name, got ["main"] (from cdk.json)'],
    [{ env: { TOLLGATE_REPOSITORY: 'no-slash' } }, 'repository.fullName must be a non-empty "owner/name", got "no-slash" (from TOLLGATE_REPOSITORY)'],
    [{ env: { TOLLGATE_CONNECTION_ARN: 'arn:aws:s3:::bucket' } }, 'repository.connectionArn must be a CodeConnections connection ARN, got "arn:aws:s3:::bucket" (from TOLLGATE_CONNECTION_ARN)'],
  ]],
  ['bake', [
    [{ context: { bake: { minuts: 30 } } }, 'bake.minuts is not a known setting (minutes, extraAlarmNames, minimumRequests, syntheticCoveragePercent, allowNoTraffic, alarmLatencyMinutes, readFailureToleranceMinutes, prodDeployMinutes, prodBakeMinutes, evidenceGraceMinutes, maxHoldDays, waveBakeMinutes), got 30 (from cdk.json)'],
    [{ context: { bake: { allowNoTraffic: 'yes' } } }, 'bake.allowNoTraffic must be true or false, got "yes" (from cdk.json)'],
    [{ context: { bake: { maxHoldDays: 61 } } }, 'bake.maxHoldDays must be a whole number from 0 to 60, got 61 (from cdk.json)'],
    [{ context: { bake: { minimumRequests: { count: 1, metric: { namespace: 'A', metricName: 'B', dimension: {} } } } } }, 'bake.minimumRequests.metric.dimension is not a known setting (namespace, metricName, dimensions), got {} (from cdk.json)'],
  ]],
  ['canary', [
    [{ context: { canary: { tileserver: {} } } }, 'canary.tileserver is not a known setting (prod, dev, tileServer), got {} (from cdk.json)'],
    [{ context: { canary: { tileServer: { prodDesiredCount: '2' } } } }, 'canary.tileServer.prodDesiredCount must be a whole number from 1 to 20, got "2" (from cdk.json)'],
    [{ context: { canary: { dev: { type: 'canary', percent: 0, intervalMinutes: 5 } } } }, 'canary.dev.percent must be a whole number from 1 to 99, got 0 (from cdk.json)'],
    [{ context: { canary: { tileServer: { certificateArns: { prod: CERT } } } }, env: { TOLLGATE_PROD_REGION: 'eu-west-1' } }, `canary.tileServer.certificateArns.prod must be a certificate in prod's account 333333333333 and region eu-west-1, got "${CERT}" (from cdk.json)`],
  ]],
  ['calendar', [
    [{ context: { calendar: { timeZone: 'UTC' } } }, 'calendar.timeZone is not a known setting (timezone, weekdays, hours, holidays, freezes), got "UTC" (from cdk.json)'],
    [{ context: { calendar: { hours: '9-16' } } }, 'calendar.hours must be an object, got "9-16" (from cdk.json)'],
    [{ context: { calendar: { weekdays: [0] } } }, 'calendar.weekdays[0] must be an ISO weekday from 1 (Monday) to 7 (Sunday), got 0 (from cdk.json)'],
  ]],
  ['operators', [
    [{ context: { operators: { principal: [] } } }, 'operators.principal is not a known setting (principals), got [] (from cdk.json)'],
    [{ context: { operators: { principals: 'arn:aws:iam::111111111111:root' } } }, 'operators.principals must be a non-empty list of IAM ARNs, got "arn:aws:iam::111111111111:root" (from cdk.json)'],
    [{ context: { operators: { principals: ['*'] } } }, 'operators.principals[0] must be an IAM role, user or account root ARN like arn:aws:iam::111111111111:role/OnCall, got "*" (from cdk.json)'],
  ]],
  ['pipelineSandbox', [
    [{ context: { pipelineSandbox: { recreate: 'yes' } } }, 'pipelineSandbox.recreate must be true or false, got "yes" (from cdk.json)'],
    [{ context: { pipelineSandbox: { recrate: true } } }, 'pipelineSandbox.recrate is not a known setting (recreate, syntheticChecks), got true (from cdk.json)'],
  ]],
  ['pipelineName', [
    [{ context: { pipelineNmae: 'Shop' } }, 'pipelineNmae is not a known setting (pipelineName, deployment, dev, preProd, prod, sandbox, repository, bake, canary, calendar, operators, pipelineSandbox, prices, release), got "Shop" (from cdk.json)'],
    [{ context: { pipelineName: 7 } }, 'pipelineName must be 1-52 characters of A-Z a-z 0-9 _ - (it prefixes IAM role, SNS topic and SSM names), got 7 (from cdk.json)'],
    [{ context: { pipelineName: 'Shop' }, env: { TOLLGATE_PIPELINE_NAME: 'a.b' } }, 'pipelineName must be 1-52 characters of A-Z a-z 0-9 _ - (it prefixes IAM role, SNS topic and SSM names), got "a.b" (from TOLLGATE_PIPELINE_NAME)'],
  ]],
])('the %s section', (_section, cases) => {
  test.each(cases)('%j is refused in one line', (sources, line) => {
    expect(lineOf(sources)).toBe(`invalid configuration: ${line}`);
  });
});

test('an environment variable fixes a bad context value, and is named only when it is the one at fault', () => {
  expect(loadConfig({ context: { dev: { account: '42' } }, env: { TOLLGATE_DEV_ACCOUNT: '555555555555' } }).dev.account).toBe('555555555555');
  expect(lineOf({ context: { dev: { account: '42' } }, env: { TOLLGATE_DEV_REGION: 'eu-west-1' } })).toMatch(/got "42" \(from cdk\.json\)$/);
});

test('tollgate.schema.json is what npm run config-schema writes from the schema (run it after changing the configuration)', () => {
  expect(readFileSync(CONFIG_SCHEMA_FILE, 'utf8')).toBe(configJsonSchemaText());
});

test('the JSON Schema refuses unknown keys in every section, as loadConfig does', () => {
  const tollgate = JSON.parse(configJsonSchemaText()).properties.context.properties.tollgate;
  expect(tollgate.additionalProperties).toBe(false);
  for (const [name, section] of Object.entries<{ additionalProperties?: unknown; items?: { additionalProperties?: unknown } }>(tollgate.properties)) {
    // A list section (preProd) refuses them in each of its items.
    const object = section.items ?? section;
    if (name !== 'pipelineName' && name !== 'release') expect([name, object.additionalProperties]).toEqual([name, false]);
  }
});
