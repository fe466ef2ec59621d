import { PutParameterCommand, SSMClient, paginateGetParametersByPath } from '@aws-sdk/client-ssm';
import {
  Freeze,
  Halt,
  controlsPath,
  freezesParameterName,
  haltParameterName,
  parseFreezes,
  parseHalt,
} from '../lambdas/shared/pipeline-controls';

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
  for await (const page of paginateGetParametersByPath({ client: ssm }, { Path: controlsPath(pipelineName), Recursive: true })) {
    for (const p of page.Parameters ?? []) if (p.Name && p.Value !== undefined) values.set(p.Name, p.Value);
  }
  return {
    halt: view(haltParameterName(pipelineName), values, parseHalt),
    freezes: view(freezesParameterName(pipelineName), values, parseFreezes),
  };
}

/** Writes the halt flag (overwriting: SSM keeps the previous records in the parameter's history). */
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
