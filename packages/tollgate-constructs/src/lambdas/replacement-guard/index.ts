/**
 * The replacement guard's pipeline step: runs in CodeBuild between CDK Pipelines' Prepare (change set
 * `PipelineChange` created) and Deploy (executed), bundled with the AWS SDK into `lib/assets/replacement-guard/`
 * and copied into the cloud assembly, so the step needs no install. It assumes the stack's CDK bootstrap deploy
 * role in the target account (CDK Pipelines' own Prepare and Deploy use it; it may describe change sets),
 * describes the change set with its nested stacks' change sets, judges it, records the allow-list entries it
 * consumed in SSM, announces a block or an announced replacement on the release topic, and exits 0 (pass),
 * 1 (a stateful resource would be replaced or removed) or 2 (cannot decide), which fails the stage before Deploy.
 */
import { readFileSync, existsSync } from 'node:fs';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SSMClient } from '@aws-sdk/client-ssm';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { GuardVerdict, allowEntryKey, describeVerdict, evaluateChangeSets, parseAllowList } from '../../domain/replacement-guard';
import { describeChangeSetTree, readConsumption, recordConsumption } from './adapter';

/** The step's environment variables (set by `ReleasePipeline` on the CodeBuild action). */
export const GUARD_ENV = {
  stackName: 'GUARD_STACK_NAME',
  changeSetName: 'GUARD_CHANGE_SET_NAME',
  roleArn: 'GUARD_ROLE_ARN',
  region: 'GUARD_REGION',
  allowListFile: 'GUARD_ALLOW_LIST_FILE',
  pipelineName: 'GUARD_PIPELINE_NAME',
  executionId: 'GUARD_EXECUTION_ID',
  topicArn: 'GUARD_TOPIC_ARN',
} as const;

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
}

/** One guard run; resolves to the exit code. */
export async function runGuard(env: NodeJS.ProcessEnv = process.env, log: (line: string) => void = console.log): Promise<number> {
  let verdict: GuardVerdict;
  const stackName = required(env, GUARD_ENV.stackName);
  const pipelineName = required(env, GUARD_ENV.pipelineName);
  const executionId = required(env, GUARD_ENV.executionId);
  const ssm = new SSMClient({});
  try {
    const region = required(env, GUARD_ENV.region);
    const { Credentials } = await new STSClient({}).send(new AssumeRoleCommand({ RoleArn: required(env, GUARD_ENV.roleArn), RoleSessionName: 'tollgate-replacement-guard' }));
    if (!Credentials?.AccessKeyId || !Credentials.SecretAccessKey) throw new Error('AssumeRole returned no credentials');
    const cfn = new CloudFormationClient({
      region,
      credentials: { accessKeyId: Credentials.AccessKeyId, secretAccessKey: Credentials.SecretAccessKey, sessionToken: Credentials.SessionToken },
    });
    const changeSet = await describeChangeSetTree(cfn, env[GUARD_ENV.changeSetName] ?? 'PipelineChange', stackName);
    const file = env[GUARD_ENV.allowListFile];
    const allowList = file && existsSync(file) ? parseAllowList(file, readFileSync(file, 'utf8')).filter((e) => e.stack === stackName) : [];
    const consumed = await readConsumption(ssm, pipelineName, allowList);
    verdict = evaluateChangeSets([changeSet], { allowList, consumed, executionId });
    // Consume what this run allows; a concurrent execution that got there first makes it a block after all.
    let raced = false;
    for (const finding of verdict.allowed) {
      if (!finding.entry) continue;
      const earlier = await recordConsumption(ssm, pipelineName, finding.entry, { executionId, at: new Date().toISOString() });
      if (earlier) {
        consumed.set(allowEntryKey(finding.entry), earlier);
        raced = true;
      }
    }
    if (raced) verdict = evaluateChangeSets([changeSet], { allowList, consumed, executionId });
  } catch (err) {
    log(`cannot decide: ${(err as Error).name}: ${(err as Error).message}; failing closed`);
    await announce(env, `Replacement guard cannot decide for ${stackName}`, [`${(err as Error).message}`], log);
    return 2;
  }
  const lines = describeVerdict(verdict);
  for (const line of lines) log(line);
  if (verdict.outcome !== 'pass' || verdict.allowed.length > 0) {
    const subject = verdict.outcome === 'pass' ? `Announced replacement in ${stackName}` : `Replacement guard stopped ${stackName}`;
    await announce(env, subject, [`pipeline ${pipelineName}, execution ${executionId}`, ...lines], log);
  }
  return verdict.outcome === 'pass' ? 0 : verdict.outcome === 'fail' ? 1 : 2;
}

async function announce(env: NodeJS.ProcessEnv, subject: string, lines: string[], log: (line: string) => void): Promise<void> {
  const topicArn = env[GUARD_ENV.topicArn];
  if (!topicArn) return;
  try {
    await new SNSClient({}).send(new PublishCommand({ TopicArn: topicArn, Subject: subject.slice(0, 100), Message: lines.join('\n') }));
  } catch (err) {
    // The verdict stands without the announcement; the log says it was not sent.
    log(`announcement not sent: ${(err as Error).message}`);
  }
}

if (require.main === module) {
  void runGuard().then((code) => process.exit(code));
}
