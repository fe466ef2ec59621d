/**
 * The pipeline's shape as the pipeline stack describes it (`@tollgate/constructs/lib/domain/pipeline-manifest`): the online
 * commands read it from its SSM parameter, `plan` from the synthesized template's metadata. No command knows
 * a stage, action or alarm name of its own.
 */
import { SSMClient } from '@aws-sdk/client-ssm';
import { TollgateConfig } from '../cdk/config';
import { ConfigError } from '@tollgate/constructs/lib/domain/config-error';
import {
  alarmReaderRoleName,
  controlsHierarchy,
  gateStateTableName,
  haltParameterName,
  operatorRoleName,
  releaseEventsTopicName,
} from '@tollgate/constructs/lib/domain/pipeline-controls';
import {
  BakeAction,
  GateAction,
  MANIFEST_METADATA_KEY,
  MANIFEST_SCHEMA_VERSION,
  ManifestEnvironment,
  PipelineManifestDocument,
  manifestParameterName,
  parsePipelineManifest,
  parsePipelineManifestJson,
} from '@tollgate/constructs/lib/domain/pipeline-manifest';
import { CliError } from './context';
import { readParameter } from './control-parameters';
import type { SynthesizedStack } from './plan/assembly';

/** A watched alarm and the environment it is in. */
export interface WatchedAlarm {
  readonly name: string;
  readonly environment: ManifestEnvironment;
}

/** The manifest with the questions the commands ask of it. */
export class PipelineManifest {
  constructor(readonly document: PipelineManifestDocument) {}

  /** The gated stages after the first bake, in order: what `stop` closes and `rollback --wave N` addresses. */
  get promotionStages(): readonly string[] {
    return this.document.promotionStages;
  }

  /** The gate's bakes, in the order the pipeline stack lists them. */
  get bakes(): BakeAction[] {
    return this.document.gateActions.filter((a): a is BakeAction => a.kind === 'bake');
  }

  get entryChecks(): GateAction[] {
    return this.document.gateActions.filter((a) => a.kind === 'entry-check');
  }

  /** The gate's bake at `stage`/`action`, if that approval is one. */
  bakeAt(stage: string | undefined, action: string | undefined): BakeAction | undefined {
    return this.bakes.find((b) => b.stage === stage && b.action === action);
  }

  /** Whether `stage`/`action` is one of the gate's entry checks. */
  isEntryCheck(stage: string | undefined, action: string | undefined): boolean {
    return this.entryChecks.some((c) => c.stage === stage && c.action === action);
  }

  /**
   * Whether the approval is a bake in a promotion stage (prod, or a wave of it): it ends that stage, so its rejection
   * fails the stage, which rolls it back.
   */
  isPromotionStageBake(stage: string | undefined, action: string | undefined): boolean {
    return stage !== undefined && this.promotionStages.includes(stage) && this.bakeAt(stage, action) !== undefined;
  }

  /** Every alarm the gate watches, each environment's health alarm first, in the order of the environments. */
  get watchedAlarms(): WatchedAlarm[] {
    return this.document.environments.flatMap((environment) =>
      [environment.healthAlarmName, ...environment.otherAlarmNames].map((name) => ({ name, environment })),
    );
  }
}

/** What to do about a pipeline whose manifest is missing or unreadable. */
const REDEPLOY = 'redeploy the pipeline stack (`npx cdk deploy <pipeline stack>`, or push to let the pipeline update itself)';

/**
 * The shape every pipeline had before the pipeline stack wrote a manifest: this app's, whose names were built
 * into the command line until then. Only for {@link readPipelineManifest}'s fallback.
 */
export function preManifestShape(config: TollgateConfig, partition = 'aws'): PipelineManifestDocument {
  const { pipelineName, deployment } = config;
  const reader = (account: string) => `arn:${partition}:iam::${account}:role/${alarmReaderRoleName(pipelineName)}`;
  return {
    schemaVersion: MANIFEST_SCHEMA_VERSION,
    pipelineName,
    stages: ['Source', 'Build', 'UpdatePipeline', 'Assets', 'Dev', 'Prod'],
    promotionStages: ['Prod'],
    gateActions: [
      { kind: 'bake', stage: 'Dev', action: 'Bake', environments: ['dev'], minutes: config.bake.minutes },
      { kind: 'bake', stage: 'Prod', action: 'ProdBake', environments: ['prod'], minutes: config.bake.prodBakeMinutes },
      { kind: 'entry-check', stage: 'Prod', action: 'EntryCheck', environments: ['prod'] },
    ],
    environments: [
      { name: 'dev', ...config.dev, healthAlarmName: 'Dev-Service-Health', otherAlarmNames: [...config.bake.extraAlarmNames], readerRoleArn: reader(config.dev.account) },
      { name: 'prod', ...config.prod, healthAlarmName: 'Prod-Service-Health', otherAlarmNames: [], readerRoleArn: reader(config.prod.account) },
    ],
    alarmLatencyMinutes: config.bake.alarmLatencyMinutes,
    controls: { path: controlsHierarchy(pipelineName), haltParameterName: haltParameterName(pipelineName) },
    releaseTopic: {
      name: releaseEventsTopicName(pipelineName),
      arn: `arn:${partition}:sns:${deployment.region}:${deployment.account}:${releaseEventsTopicName(pipelineName)}`,
    },
    gateStateTableName: gateStateTableName(pipelineName),
    operatorRoleArn: `arn:${partition}:iam::${deployment.account}:role/${operatorRoleName(pipelineName)}`,
  };
}

function checkedFor(document: PipelineManifestDocument, pipelineName: string, where: string): PipelineManifest {
  if (document.pipelineName !== pipelineName) {
    throw new CliError(`the manifest in ${where} describes pipeline ${document.pipelineName}, not ${pipelineName}: ${REDEPLOY}`);
  }
  return new PipelineManifest(document);
}

/**
 * The manifest of the configured pipeline, from its SSM parameter in the deployment account (read with `ssm`).
 *
 * A pipeline deployed before the pipeline stack wrote manifests has none: then this warns (through `warn`) and
 * answers {@link preManifestShape}, the names the command line used until then, which every such pipeline has.
 * `stop` is the emergency brake: refusing it after an upgrade of the command line would be worse than braking
 * with the names it always used, and the commands still check those names against the live pipeline before
 * they change anything. A manifest that is there but unreadable (a newer schema, an edit by hand) is an error.
 *
 * @param partition of the caller, for the ARNs of the fallback.
 * @throws CliError (exit 2) when the manifest is unreadable or describes another pipeline.
 */
export async function readPipelineManifest(ssm: SSMClient, config: TollgateConfig, warn: (line: string) => void, partition = 'aws'): Promise<PipelineManifest> {
  const name = manifestParameterName(config.pipelineName);
  const raw = await readParameter(ssm, name);
  if (raw === undefined) {
    warn(`warning: pipeline ${config.pipelineName} has no manifest (${name}): using the names of a pipeline from before manifests (promotion stage Prod, bakes Dev/Bake and Prod/ProdBake); ${REDEPLOY}`);
    return new PipelineManifest(preManifestShape(config, partition));
  }
  let document: PipelineManifestDocument;
  try {
    document = parsePipelineManifestJson(raw, name);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    throw new CliError(`unreadable pipeline manifest: ${err.message}; ${REDEPLOY}, or upgrade tollgate if the pipeline's is newer`);
  }
  return checkedFor(document, config.pipelineName, name);
}

/**
 * The manifest in the synthesized pipeline stack's template metadata, for `plan`, which reads cdk.out offline.
 * cdk.out is synthesized by this very code, so a missing manifest means a stale cdk.out, never an old pipeline.
 *
 * @throws CliError (exit 2) when it is missing or unreadable.
 */
export function manifestOfStack(stack: SynthesizedStack, pipelineName: string): PipelineManifest {
  const where = `${stack.stackName}'s template metadata (${MANIFEST_METADATA_KEY})`;
  const value = stack.template.Metadata?.[MANIFEST_METADATA_KEY];
  if (value === undefined) throw new CliError(`no pipeline manifest in ${where}: run \`npm run synth\` again`);
  try {
    return checkedFor(parsePipelineManifest(value, where), pipelineName, where);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    throw new CliError(`unreadable pipeline manifest: ${err.message}; run \`npm run synth\` again`);
  }
}

/** How steps name the inbound transitions of `stages`: `transition into Prod`, `transitions into Prod-Wave1, Prod-Wave2`. */
export function transitions(stages: readonly string[]): string {
  return `transition${stages.length > 1 ? 's' : ''} into ${stages.join(', ')}`;
}
