/**
 * The CLI's side of the run-time controls in SSM Parameter Store (see `@tollgate/constructs/lib/domain/pipeline-controls`):
 * reading and writing them in the deployment account, where the gate reads them. Callers pass the SSM client of
 * `connectToPipeline`, which has checked that the credentials are for that account.
 */
import { DeleteParameterCommand, GetParameterCommand, PutParameterCommand, SSMClient, paginateGetParametersByPath } from '@aws-sdk/client-ssm';
import {
  Freeze,
  Halt,
  controlsHierarchy,
  freezesParameterName,
  haltParameterName,
  parseFreezes,
  parseHalt,
} from '@tollgate/constructs/lib/domain/pipeline-controls';

/** An AWS call that failed: says what Tollgate was doing and what AWS answered (exit 1). */
export function awsFailure(doing: string, err: unknown): Error {
  const { name, message } = err as Error;
  return new Error(`cannot ${doing}: ${name}: ${message}`);
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
export async function readRuntimeFreezes(ssm: SSMClient, pipelineName: string): Promise<Freeze[]> {
  const name = freezesParameterName(pipelineName);
  const raw = await readParameter(ssm, name);
  return raw === undefined ? [] : parseFreezes(name, raw);
}

/** A control as the CLI shows it: absent, readable, or present but unreadable (which the gate treats as "cannot decide"). */
export type ControlView<T> = { readonly state: 'absent' } | { readonly state: 'set'; readonly value: T } | { readonly state: 'unreadable'; readonly error: string };

export interface ControlsView {
  readonly halt: ControlView<Halt>;
  readonly freezes: ControlView<Freeze[]>;
}

function view<T>(name: string, values: Map<string, string>, parse: (name: string, raw: string) => T): ControlView<T> {
  const raw = values.get(name);
  if (raw === undefined) return { state: 'absent' };
  try {
    return { state: 'set', value: parse(name, raw) };
  } catch (err) {
    return { state: 'unreadable', error: (err as Error).message };
  }
}

/** Reads every run-time control of the pipeline with one GetParametersByPath walk. */
export async function readControls(ssm: SSMClient, pipelineName: string): Promise<ControlsView> {
  const values = new Map<string, string>();
  for await (const page of paginateGetParametersByPath({ client: ssm }, { Path: controlsHierarchy(pipelineName), Recursive: true })) {
    for (const p of page.Parameters ?? []) if (p.Name && p.Value !== undefined) values.set(p.Name, p.Value);
  }
  return {
    halt: view(haltParameterName(pipelineName), values, parseHalt),
    freezes: view(freezesParameterName(pipelineName), values, parseFreezes),
  };
}

/**
 * Writes the halt flag (overwriting: SSM keeps the previous records in the parameter's history). Not through
 * {@link writeParameter}: the step that calls it already names the parameter, so AWS's error is passed on as is.
 */
export async function writeHalt(ssm: SSMClient, pipelineName: string, halt: Halt): Promise<void> {
  await ssm.send(
    new PutParameterCommand({
      Name: haltParameterName(pipelineName),
      Value: JSON.stringify(halt),
      Type: 'String',
      Overwrite: true,
      Description: `Tollgate halt flag of pipeline ${pipelineName}: while halted, the bake gate promotes nothing`,
    }),
  );
}
