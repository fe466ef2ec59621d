import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CodePipelineClient } from '@aws-sdk/client-codepipeline';
import { SNSClient } from '@aws-sdk/client-sns';
import { SSMClient } from '@aws-sdk/client-ssm';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@smithy/types';
import { alarmReaderRoleName, operatorRoleName } from '@tollgate/constructs/lib/domain/pipeline-controls';
import { TollgateConfig } from '../cdk/config';
import { loadAppConfig } from './app-config';
import { CliError } from './context';

/** The clients of one account and region. */
export interface AwsClients {
  readonly region: string;
  /** Credentials the clients sign with; undefined: the SDK's default resolution. */
  readonly credentials?: AwsCredentialIdentity;
  readonly codePipeline: CodePipelineClient;
  readonly ssm: SSMClient;
  readonly sts: STSClient;
  readonly cloudFormation: CloudFormationClient;
  readonly cloudWatch: CloudWatchClient;
  readonly sns: SNSClient;
  readonly dynamodb: DynamoDBClient;
}

/**
 * Clients for `region`, built with nothing but the region: credentials, endpoint and retries come from the
 * SDK's default resolution (AWS_PROFILE, AWS_ENDPOINT_URL, AWS_MAX_ATTEMPTS, ...), exactly as for the AWS CLI.
 */
export function awsClients(region: string, credentials?: AwsCredentialIdentity): AwsClients {
  const config = credentials ? { region, credentials } : { region };
  return {
    region,
    credentials,
    codePipeline: new CodePipelineClient(config),
    ssm: new SSMClient(config),
    sts: new STSClient(config),
    cloudFormation: new CloudFormationClient(config),
    cloudWatch: new CloudWatchClient(config),
    sns: new SNSClient(config),
    dynamodb: new DynamoDBClient(config),
  };
}

/** Whom the credentials belong to. */
export interface CallerIdentity {
  readonly account: string;
  /** The identity's ARN, recorded as `by` in every control the CLI writes. */
  readonly arn: string;
}

/** Where a command works; named in every error so the person knows which account and region to look at. */
export interface AwsScope {
  readonly account: string;
  readonly region: string;
  readonly pipelineName?: string;
}

const NO_CREDENTIALS =
  'no AWS credentials found: set AWS_PROFILE (and run `aws sso login` if it is an SSO profile) or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY';
const REJECTED_CREDENTIALS = new Set([
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'SignatureDoesNotMatch',
  'InvalidSignatureException',
  'ExpiredToken',
  'ExpiredTokenException',
  'RequestExpired',
]);

/** `Name: message` of an SDK error, the form every partial-failure report uses. */
export function describeError(err: unknown): string {
  const e = err as { name?: string; message?: string };
  if (e?.name && e.name !== 'Error' && !String(e.message).startsWith(e.name)) return `${e.name}: ${e.message}`;
  return e?.message ?? String(err);
}

/**
 * Turns the SDK errors a person can act on into a {@link CliError} (exit 2) with the fix in its message;
 * returns anything else unchanged.
 */
function explainAwsError(err: unknown, scope: AwsScope): unknown {
  if (err instanceof CliError) return err;
  const name = (err as { name?: string })?.name ?? '';
  if (name === 'CredentialsProviderError' || name === 'TokenProviderError') {
    return new CliError(`${NO_CREDENTIALS} (${(err as Error).message})`);
  }
  if (REJECTED_CREDENTIALS.has(name)) {
    return new CliError(`AWS rejected your credentials (${describeError(err)}): refresh them, e.g. \`aws sso login\`, or check AWS_PROFILE`);
  }
  if (name === 'PipelineNotFoundException' && scope.pipelineName) {
    return new CliError(
      `pipeline ${scope.pipelineName} not found in account ${scope.account} region ${scope.region}: check pipelineName in cdk.json (or TOLLGATE_PIPELINE_NAME) and that the pipeline stack is deployed`,
    );
  }
  if (name === 'AccessDeniedException' || name === 'AccessDenied') {
    return new Error(`access denied in account ${scope.account} region ${scope.region}: ${(err as Error).message}`);
  }
  // Any other service error: keep AWS's own name for it, which is what its documentation and search know.
  if ((err as { $metadata?: unknown })?.$metadata) return new Error(describeError(err));
  return err;
}

/** Runs `work`, translating the errors {@link explainAwsError} knows. */
export async function withAwsErrors<T>(scope: AwsScope, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw explainAwsError(err, scope);
  }
}

async function callerIdentity(sts: STSClient, scope: AwsScope): Promise<CallerIdentity> {
  const identity = await withAwsErrors(scope, () => sts.send(new GetCallerIdentityCommand({})));
  if (!identity.Account || !identity.Arn) throw new Error('STS GetCallerIdentity returned no account or ARN');
  return { account: identity.Account, arn: identity.Arn };
}

/**
 * Checks that the credentials are for `account` before anything is changed, so that a command run with the
 * wrong AWS_PROFILE fails with one line and does nothing.
 *
 * @param which the expected account in words, e.g. `the sandbox account is 222222222222`.
 */
function requireAccount(identity: CallerIdentity, account: string, which: string): CallerIdentity {
  if (identity.account !== account) {
    throw new CliError(`wrong account: your credentials (${identity.arn}) are for account ${identity.account}, but ${which}; switch AWS_PROFILE`);
  }
  return identity;
}

/**
 * {@link requireAccount} for sandbox commands, which also refuse the prod account outright — even when the
 * configuration would (wrongly) point the sandbox at it.
 */
export async function requireSandboxAccount(sts: STSClient, config: TollgateConfig): Promise<CallerIdentity> {
  const identity = await callerIdentity(sts, config.sandbox);
  if (identity.account === config.prod.account) {
    throw new CliError(`refusing to touch sandboxes in the prod account ${identity.account} (credentials ${identity.arn}); switch AWS_PROFILE to the sandbox account ${config.sandbox.account}`);
  }
  return requireAccount(identity, config.sandbox.account, `the sandbox account is ${config.sandbox.account}`);
}

/** A command's footing in the deployment account, where the pipeline and its control parameters live. */
export interface PipelineConnection {
  readonly config: TollgateConfig;
  readonly pipelineName: string;
  /** The deployment account and region with the pipeline: what errors name. */
  readonly scope: AwsScope;
  readonly aws: AwsClients;
  /** Who is calling: the `by` of every control written. */
  readonly identity: CallerIdentity;
}

/**
 * Clients for the deployment account, once the credentials are known to be for it: a control written in
 * another account would never be seen by the gate.
 */
export async function connectToPipeline(config: TollgateConfig = loadAppConfig()): Promise<PipelineConnection> {
  const { pipelineName, deployment } = config;
  const aws = awsClients(deployment.region);
  const identity = requireAccount(await callerIdentity(aws.sts, deployment), deployment.account, `the deployment account of pipeline ${pipelineName} is account ${deployment.account}`);
  return { config, pipelineName, scope: { ...deployment, pipelineName }, aws, identity };
}

/** The operator role of the configured pipeline, in the deployment account and the caller's partition. */
export function operatorRoleArn(config: TollgateConfig, callerArn: string): string {
  const partition = callerArn.split(':')[1] || 'aws';
  return `arn:${partition}:iam::${config.deployment.account}:role/${operatorRoleName(config.pipelineName)}`;
}

/**
 * The role session name for `callerArn`: the last part of the identity (a person's session or user name),
 * in the characters and length AssumeRole accepts (`[\w+=,.@-]{2,64}`, STS API reference, RoleSessionName).
 */
export function operatorSessionName(callerArn: string): string {
  const last = callerArn.split(/[/:]/).pop() || 'tollgate';
  const name = last.replace(/[^\w+=,.@-]+/g, '-').slice(0, 64);
  return name.length >= 2 ? name : `tollgate-${name}`;
}

/** Credentials of a session of `roleArn`, obtained with `sts`; AWS's error is passed on as is. */
export async function assumeRole(sts: STSClient, roleArn: string, sessionName: string): Promise<AwsCredentialIdentity> {
  const assumed = await sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: sessionName }));
  const c = assumed.Credentials;
  if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken) throw new Error('STS AssumeRole returned no credentials');
  return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken, expiration: c.Expiration };
}

/**
 * {@link connectToPipeline}, then the operator role (`<pipelineName>-Operator`), for every command that changes
 * something: the gate trusts controls that loosen only from its sessions. `identity` stays the caller's, so
 * every record says who did it; the clients sign with the role's credentials.
 *
 * @throws CliError (exit 2) when the role cannot be assumed, before anything was changed.
 */
export async function connectAsOperator(config: TollgateConfig = loadAppConfig()): Promise<PipelineConnection> {
  const connection = await connectToPipeline(config);
  const roleArn = operatorRoleArn(config, connection.identity.arn);
  let credentials: AwsCredentialIdentity;
  try {
    credentials = await assumeRole(connection.aws.sts, roleArn, operatorSessionName(connection.identity.arn));
  } catch (err) {
    throw new CliError(`cannot assume the operator role ${roleArn}: ${describeError(err)}; nothing was changed`);
  }
  return { ...connection, aws: awsClients(config.deployment.region, credentials) };
}

/**
 * Credentials for reading an environment's alarms from the deployment account: the operator role, then the
 * environment's read-only reader role (`<pipelineName>-AlarmReader`), which trusts exactly the gate's role and the
 * operator role. The operator role is assumed once, on first use, and each account's reader role once.
 */
export function alarmReaderCredentials(connection: PipelineConnection): (account: string) => Promise<AwsCredentialIdentity> {
  const { config, identity, aws } = connection;
  const partition = identity.arn.split(':')[1] || 'aws';
  const session = operatorSessionName(identity.arn);
  let operator: Promise<AwsCredentialIdentity> | undefined;
  const readers = new Map<string, Promise<AwsCredentialIdentity>>();
  const assumeReader = async (account: string) => {
    const operatorArn = operatorRoleArn(config, identity.arn);
    operator ??= assumeRole(aws.sts, operatorArn, session).catch((err) => {
      throw new Error(`cannot assume the operator role ${operatorArn}: ${describeError(err)}`);
    });
    const readerArn = `arn:${partition}:iam::${account}:role/${alarmReaderRoleName(config.pipelineName)}`;
    return assumeRole(awsClients(config.deployment.region, await operator).sts, readerArn, session).catch((err) => {
      throw new Error(`cannot assume the reader role ${readerArn}: ${describeError(err)}`);
    });
  };
  return (account) => {
    if (!readers.has(account)) readers.set(account, assumeReader(account));
    return readers.get(account)!;
  };
}
