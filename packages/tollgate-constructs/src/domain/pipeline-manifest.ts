/**
 * The pipeline manifest: what the pipeline stack tells the `tollgate` command line about the pipeline's shape,
 * so that no command has to know stage, action or alarm names. The pipeline stack writes it
 * (`src/pipeline/pipeline-manifest.ts`) in two places from one object:
 *
 * - an SSM parameter, {@link manifestParameterName}, which the online commands (`status`, `stop`, `resume`,
 *   `rollback`) read in the deployment account: SSM is where they already read the controls, one GetParameter
 *   call, and CloudFormation writes it with every deploy of the pipeline stack, so it cannot drift from the
 *   pipeline it describes;
 * - the pipeline stack's template `Metadata` under {@link MANIFEST_METADATA_KEY}, which `plan` reads offline from
 *   cdk.out, with no credentials.
 *
 * The document holds no CloudFormation references (every name and ARN is known at synth), so both copies are
 * the same JSON and both sides validate it with {@link parsePipelineManifest}.
 */
import { z } from 'zod';
import { ConfigError } from './config-error';
import { parseJson } from './json';
import { parseWithSchema } from './schema';

/**
 * The version of the document's shape; a CLI refuses a manifest of a version it does not know. 2: a gate action
 * names `environments` (a wave's targets), and `promotionStages` lists every gated stage after the first bake.
 */
export const MANIFEST_SCHEMA_VERSION = 2;

/** Key of the manifest in the pipeline stack's template `Metadata`. */
export const MANIFEST_METADATA_KEY = 'tollgate:manifest';

/**
 * The SSM parameter with the manifest. Outside the controls hierarchy (`/tollgate/<pipeline>/`) on purpose: the
 * operator role may write anything there, and the gate reads all of it every minute; the manifest is written by
 * CloudFormation only and read by the command line only.
 */
export function manifestParameterName(pipelineName: string): string {
  return `/tollgate-manifest/${pipelineName}`;
}

/**
 * A standard SSM parameter holds at most 4 KB, an advanced one 8 KB (SSM API reference, PutParameter `Value` and
 * `Tier`): the manifest is written to an advanced parameter only when it needs to be, and refused above that.
 */
export const MANIFEST_STANDARD_MAX_BYTES = 4096;
export const MANIFEST_MAX_BYTES = 8192;

const name = z.string().min(1);
const arn = z.string().regex(/^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:\d{12}:.+$/, 'must be an ARN with a partition and a 12-digit account');

const bakeActionSchema = z.strictObject({
  kind: z.literal('bake'),
  stage: name,
  action: name,
  /** The environments whose health it watches ({@link environmentSchema} names): one, or a wave's targets. */
  environments: z.array(name).min(1),
  /** How long the environment must stay healthy. */
  minutes: z.number().int().min(1),
});

const entryCheckActionSchema = z.strictObject({
  kind: z.literal('entry-check'),
  stage: name,
  action: name,
  /** The environments entered. */
  environments: z.array(name).min(1),
});

const environmentSchema = z.strictObject({
  /** How the gate names it: `dev`, `prod`. */
  name,
  account: z.string().regex(/^\d{12}$/, 'must be a 12-digit account ID'),
  region: name,
  /** The environment's health alarm: the gate's first watched alarm there. */
  healthAlarmName: name,
  /** Other alarms the gate watches there. */
  otherAlarmNames: z.array(name),
  /** The read-only role there through which the gate and `status` read the alarms. */
  readerRoleArn: arn,
});

const manifestObject = z.strictObject({
  schemaVersion: z.literal(MANIFEST_SCHEMA_VERSION),
  pipelineName: name,
  /** Every stage of the pipeline, in order. */
  stages: z.array(name).min(1),
  /**
   * The gated stages after the first bake, in promotion order (each a stage or a wave): the stages `stop` closes
   * the entrance of, `resume` opens and `rollback` rolls back.
   */
  promotionStages: z.array(name).min(1),
  /** Every approval the bake gate owns. */
  gateActions: z.array(z.discriminatedUnion('kind', [bakeActionSchema, entryCheckActionSchema])),
  environments: z.array(environmentSchema).min(1),
  /** After a bake, how long the gate waits for the alarms to judge its last minutes before it approves. */
  alarmLatencyMinutes: z.number().int().min(0),
  controls: z.strictObject({ path: name, haltParameterName: name }),
  releaseTopic: z.strictObject({ name, arn }),
  gateStateTableName: name,
  operatorRoleArn: arn,
});

/** The manifest's own rules across fields: every name it refers to is one it lists. */
const manifestSchema = manifestObject.superRefine((m, ctx) => {
  const stages = new Set(m.stages);
  const environments = new Set(m.environments.map((e) => e.name));
  m.promotionStages.forEach((stage, i) => {
    if (!stages.has(stage)) ctx.addIssue({ code: 'custom', path: ['promotionStages', i], input: stage, message: `must be one of the stages (${m.stages.join(', ')})` });
  });
  const seen = new Set<string>();
  m.gateActions.forEach((a, i) => {
    if (!stages.has(a.stage)) ctx.addIssue({ code: 'custom', path: ['gateActions', i, 'stage'], input: a.stage, message: `must be one of the stages (${m.stages.join(', ')})` });
    a.environments.forEach((environment, j) => {
      if (!environments.has(environment)) {
        ctx.addIssue({ code: 'custom', path: ['gateActions', i, 'environments', j], input: environment, message: `must be one of the environments (${[...environments].join(', ')})` });
      }
    });
    const key = `${a.stage}/${a.action}`;
    if (seen.has(key)) ctx.addIssue({ code: 'custom', path: ['gateActions', i, 'action'], input: a.action, message: `must be unique in its stage (${key} twice)` });
    seen.add(key);
  });
});

export type PipelineManifestDocument = z.output<typeof manifestObject>;
export type GateAction = PipelineManifestDocument['gateActions'][number];
export type BakeAction = Extract<GateAction, { kind: 'bake' }>;
export type ManifestEnvironment = PipelineManifestDocument['environments'][number];

/**
 * The manifest in `value`, checked.
 *
 * @param where names the copy for the error, e.g. the parameter's name.
 * @throws ConfigError naming the first field that is wrong, its value and what it must be.
 */
export function parsePipelineManifest(value: unknown, where: string): PipelineManifestDocument {
  return parseWithSchema(manifestSchema, fromVersion1(value), 'manifest', () => where);
}

/**
 * A version-1 manifest (one environment per action, one promotion stage), as every pipeline deployed before
 * waves still has, read as version 2: `stop` is the emergency brake, and refusing it until the pipeline stack is
 * redeployed would be worse. Anything else is returned as is, for the schema to judge.
 */
function fromVersion1(value: unknown): unknown {
  const v1 = value as { schemaVersion?: unknown; promotionStage?: unknown; gateActions?: unknown } | null;
  if (v1?.schemaVersion !== 1 || typeof v1.promotionStage !== 'string' || !Array.isArray(v1.gateActions)) return value;
  const { promotionStage, ...rest } = v1;
  return {
    ...rest,
    schemaVersion: 2,
    promotionStages: [promotionStage],
    gateActions: v1.gateActions.map((a: { environment?: unknown }) => {
      const { environment, ...action } = a ?? {};
      return environment === undefined ? a : { ...action, environments: [environment] };
    }),
  };
}

/** {@link parsePipelineManifest} of JSON text, as the SSM parameter holds it. */
export function parsePipelineManifestJson(raw: string, where: string): PipelineManifestDocument {
  const value = parseJson(raw, () => new ConfigError('manifest', raw.slice(0, 80), 'must be JSON', where));
  return parsePipelineManifest(value, where);
}
