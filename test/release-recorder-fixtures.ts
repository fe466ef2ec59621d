/**
 * CodePipeline's EventBridge events as the release recorder receives them (CodePipeline User Guide, "Monitoring
 * CodePipeline events": `detail.pipeline`, `execution-id`, `state`, `stage`, `action`, `type`, `execution-trigger`,
 * `execution-result`), for the default app's pipeline.
 */
import { LIST_PRICES } from '@tollgate/constructs/lib/domain/release-cost';
import type { RecorderSettings } from '@tollgate/constructs/lib/lambdas/release-recorder/core';
import { SHAPE } from './release-history-fixtures';

export const PIPELINE = 'Tollgate';
export const EXECUTION = '11111111-2222-4333-8444-555555555555';
export const SETTINGS: RecorderSettings = { pipelineName: PIPELINE, shape: SHAPE, prices: LIST_PRICES.prices };

const base = (detailType: string, time: string, detail: Record<string, unknown>, executionId = EXECUTION) => ({
  version: '0',
  id: `ev-${time}`,
  'detail-type': detailType,
  source: 'aws.codepipeline',
  account: '111111111111',
  time,
  region: 'us-east-1',
  resources: [`arn:aws:codepipeline:us-east-1:111111111111:${PIPELINE}`],
  detail: { pipeline: PIPELINE, version: 3, 'execution-id': executionId, 'pipeline-execution-attempt': 1, ...detail },
});

export function executionEvent(state: string, time: string, options: { executionId?: string; triggerType?: string } = {}) {
  const trigger = state === 'STARTED' ? { 'execution-trigger': { 'trigger-type': options.triggerType ?? 'Webhook', 'trigger-detail': 'arn:aws:codeconnections:us-east-1:111111111111:connection/x' } } : {};
  return base('CodePipeline Pipeline Execution State Change', time, { state, ...trigger }, options.executionId);
}

export function stageEvent(stage: string, state: string, time: string, executionId?: string) {
  return base('CodePipeline Stage Execution State Change', time, { stage, state }, executionId);
}

export function actionEvent(stage: string, action: string, state: string, time: string, type: { category: string; provider: string }, summary?: string, executionId?: string) {
  return base(
    'CodePipeline Action Execution State Change',
    time,
    {
      stage,
      action,
      state,
      region: 'us-east-1',
      type: { owner: 'AWS', version: '1', ...type },
      'input-artifacts': [],
      ...(summary ? { 'execution-result': { 'external-execution-summary': summary, 'external-execution-url': 'https://console.aws.amazon.com/x' } } : {}),
    },
    executionId,
  );
}

export const APPROVAL = { category: 'Approval', provider: 'Manual' };
export const DEPLOY = { category: 'Deploy', provider: 'CloudFormation' };
export const BUILD = { category: 'Build', provider: 'CodeBuild' };
