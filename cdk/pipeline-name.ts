/**
 * What a pipeline name may be. The name prefixes IAM roles, an SNS topic and SSM parameters (see
 * {@link DERIVED_NAMES}), so it may hold only what all of them accept, and must leave room for the longest suffix
 * under each service's length limit: a name that synthesizes but that IAM or SNS refuses would fail only at deploy.
 */
import { z } from 'zod';
import { operatorRoleName, overrideParameterName, releaseEventsTopicName } from '@tollgate/constructs/lib/domain/pipeline-controls';

/** A name built from the pipeline name, and the most characters its service accepts. */
interface DerivedName {
  readonly what: string;
  readonly name: (pipelineName: string) => string;
  readonly maxLength: number;
}

/** A CodePipeline execution ID (a UUID): the longest part of an override parameter's name besides the pipeline's. */
const EXECUTION_ID = '00000000-0000-0000-0000-000000000000';

/** The role the Sandbox stage's integration tests run as (CodeBuild, deployment account). */
export function sandboxTestsRoleName(pipelineName: string): string {
  return `${pipelineName}-SbxTests`;
}

/** The role in the sandbox account the tests assume to sign the API's writes. */
export function sandboxTestInvokerRoleName(pipelineName: string): string {
  return `${pipelineName}-SbxInvoke`;
}

/**
 * Every name the release system derives from the pipeline name. The role names are those `cdk/pipeline-stack.ts`
 * gives the bake gate, the alarm readers and on-call's operator role; test/pipeline-stack.test.ts checks every role and topic name in the
 * synthesized templates against this list, so a new suffix cannot slip past the limit.
 */
export const DERIVED_NAMES: readonly DerivedName[] = [
  // CodePipeline API reference, PipelineDeclaration.name: 1-100 of [A-Za-z0-9.@\-_].
  { what: 'CodePipeline pipeline', name: (p) => p, maxLength: 100 },
  // IAM API reference, CreateRole.RoleName: 1-64 of [\w+=,.@-].
  { what: 'IAM role', name: (p) => `${p}-BakeGate`, maxLength: 64 },
  { what: 'IAM role', name: (p) => `${p}-AlarmReader`, maxLength: 64 },
  { what: 'IAM role', name: operatorRoleName, maxLength: 64 },
  { what: 'IAM role', name: (p) => sandboxTestsRoleName(p), maxLength: 64 },
  { what: 'IAM role', name: (p) => sandboxTestInvokerRoleName(p), maxLength: 64 },
  // SNS API reference, CreateTopic.Name: 1-256 of [A-Za-z0-9_-].
  { what: 'SNS topic', name: releaseEventsTopicName, maxLength: 256 },
  // SSM API reference, PutParameter.Name: 2048 including 1037 reserved, so 1011; [a-zA-Z0-9_.-] and `/`.
  { what: 'SSM parameter', name: (p) => overrideParameterName(p, EXECUTION_ID), maxLength: 1011 },
];

/** The most characters a pipeline name may have so that every derived name fits its service's limit. */
export const PIPELINE_NAME_MAX_LENGTH = Math.min(...DERIVED_NAMES.map((d) => d.maxLength - d.name('').length));

/** The characters all of those services accept: SNS topics allow the fewest. */
const PIPELINE_NAME = new RegExp(`^[A-Za-z0-9_-]{1,${PIPELINE_NAME_MAX_LENGTH}}$`);

const PIPELINE_NAME_RULE = `must be 1-${PIPELINE_NAME_MAX_LENGTH} characters of A-Z a-z 0-9 _ - (it prefixes IAM role, SNS topic and SSM names)`;

/** A pipeline name: 1 to {@link PIPELINE_NAME_MAX_LENGTH} characters of A-Z a-z 0-9 _ -. */
export const pipelineNameSchema = z.string({ error: PIPELINE_NAME_RULE }).regex(PIPELINE_NAME, PIPELINE_NAME_RULE);
