/**
 * What the release recorder is told at deploy time, through its environment: the pipeline's name and shape (the
 * pipeline manifest's stages, promotion stages and gate actions), the price overrides, its table and topic.
 */
import { z } from 'zod';
import { priceOverridesSchema, PriceOverrides } from '../../domain/release-cost';
import { PipelineShape } from '../../domain/release-facts';
import { checkWithSchema } from '../../domain/schema';

export const RECORDER_SETTINGS_ENV = 'RELEASE_RECORDER_SETTINGS';
export const RECORDER_TABLE_ENV = 'RELEASE_RECORD_TABLE';
export const RECORDER_TOPIC_ENV = 'RELEASE_TOPIC_ARN';

const name = z.string().min(1);
const gateAction = z.looseObject({ kind: z.enum(['bake', 'entry-check']), stage: name, action: name });

const settingsSchema = z.strictObject({
  pipelineName: name,
  shape: z.strictObject({ stages: z.array(name).min(1), promotionStages: z.array(name).min(1), gateActions: z.array(gateAction) }),
  prices: priceOverridesSchema.optional(),
});

/** The recorder's settings as the construct writes them. */
export interface RecorderDeploySettings {
  readonly pipelineName: string;
  readonly shape: PipelineShape;
  readonly prices?: PriceOverrides;
}

/** The settings in `raw` (the environment variable's JSON), or one line naming the first bad field. */
export function parseRecorderSettings(raw: string | undefined): RecorderDeploySettings {
  let value: unknown;
  try {
    value = JSON.parse(raw ?? '');
  } catch {
    throw new Error(`${RECORDER_SETTINGS_ENV} must be JSON, got ${JSON.stringify((raw ?? '').slice(0, 80))}`);
  }
  const result = checkWithSchema(settingsSchema, value, RECORDER_SETTINGS_ENV);
  if (!result.ok) throw new Error(`${result.problem.field} ${result.problem.expectation}, got ${JSON.stringify(result.problem.value)}`);
  return result.value as RecorderDeploySettings;
}
