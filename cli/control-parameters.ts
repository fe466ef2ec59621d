/**
 * The CLI's side of the run-time controls in SSM Parameter Store (see `lambdas/shared/pipeline-controls.ts`):
 * who is calling, and reading and writing the parameters in the deployment account, where the gate reads them.
 */
import { DeleteParameterCommand, GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { STSClient } from '@aws-sdk/client-sts';
import { TollgateConfig } from '../cdk/config';
import { Freeze, freezesParameterName, parseFreezes } from '../lambdas/shared/pipeline-controls';
import { requireAccount } from './aws';

/** An AWS call that failed: says what Tollgate was doing and what AWS answered (exit 1). */
export function awsFailure(doing: string, err: unknown): Error {
  const { name, message } = err as Error;
  return new Error(`cannot ${doing}: ${name}: ${message}`);
}

export function ssmClient(config: TollgateConfig): SSMClient {
  return new SSMClient({ region: config.deployment.region });
}

/**
 * The caller's identity ARN, the "who" of every control record. Refuses credentials for any account but the
 * deployment account (a freeze written elsewhere would never be seen by the gate), with the same messages as
 * every other command.
 */
export async function callerArn(config: TollgateConfig): Promise<string> {
  const sts = new STSClient({ region: config.deployment.region });
  return (await requireAccount(sts, config.deployment, `the deployment account of pipeline ${config.pipelineName}`)).arn;
}

/** The parameter's value, or undefined when it does not exist. */
export async function readParameter(ssm: SSMClient, name: string): Promise<string | undefined> {
  try {
    return (await ssm.send(new GetParameterCommand({ Name: name }))).Parameter?.Value;
  } catch (err) {
    if ((err as Error).name === 'ParameterNotFound') return undefined;
    throw awsFailure(`read ${name}`, err);
  }
}

/**
 * Writes a plain String parameter. With `overwrite` false an existing parameter is left alone and this resolves
 * to false. CloudTrail records the PutParameter call with the caller; the parameter history keeps each version.
 */
export async function writeParameter(ssm: SSMClient, name: string, value: string, overwrite: boolean): Promise<boolean> {
  try {
    await ssm.send(new PutParameterCommand({ Name: name, Value: value, Type: 'String', Overwrite: overwrite }));
    return true;
  } catch (err) {
    if (!overwrite && (err as Error).name === 'ParameterAlreadyExists') return false;
    throw awsFailure(`write ${name}`, err);
  }
}

export async function deleteParameter(ssm: SSMClient, name: string): Promise<void> {
  await ssm.send(new DeleteParameterCommand({ Name: name })).catch((err) => {
    throw awsFailure(`delete ${name}`, err);
  });
}

/** On-call's run-time freezes; none when the parameter does not exist. An unreadable parameter is an error. */
export async function readRuntimeFreezes(config: TollgateConfig, ssm: SSMClient = ssmClient(config)): Promise<Freeze[]> {
  const name = freezesParameterName(config.pipelineName);
  const raw = await readParameter(ssm, name);
  return raw === undefined ? [] : parseFreezes(name, raw);
}
