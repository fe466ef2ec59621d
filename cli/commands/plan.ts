import * as path from 'node:path';
import { Command } from 'commander';
import { lateStartMarginMinutes } from '../../cdk/bake-config';
import { haltParameterName } from '@tollgate/constructs/lib/domain/pipeline-controls';
import { priceTable } from '@tollgate/constructs/lib/domain/release-cost';
import { loadAppConfig } from '../app-config';
import { CliContext, CliError } from '../context';
import { parseTime, parseWholeNumber } from '../options';
import { manifestOfStack } from '../pipeline-manifest';
import { readAssembly } from '../plan/assembly';
import { PlanBake, PlanEntryCheck, gateBakes, gateEntryChecks } from '../plan/bakes';
import { calendarSettings, nextCalendarOpening } from '../plan/calendar';
import { PlanCost, planCost } from '../plan/cost';
import { planMermaid } from '../plan/mermaid';
import { planPicture } from '../plan/picture';
import { DeploymentExposure, ExposureFigure, PromotionPlan, promotionPlan, stageExposure, stageServiceExposure } from '../plan/promotion';
import { DEFAULT_ESTIMATES, DurationEstimates, Timeline, earliestTimeline } from '../plan/timeline';
import { PROJECT_ROOT } from '../project';

interface PlanOptions {
  readonly json?: boolean;
  readonly mermaid?: boolean;
  readonly pushedAt?: string;
  readonly dir: string;
  readonly buildMinutes: number;
  readonly deployMinutes: number;
  readonly testsMinutes: number;
  readonly guardMinutes: number;
}

/** Everything `plan` works out; `--json` prints exactly this. */
export interface PlanReport {
  readonly assembly: string;
  readonly promotion: PromotionPlan;
  /** The bake gate's approvals, as the synthesized gate is told them: the dev bake before prod, the prod bake after it. */
  readonly bakes: PlanBake[];
  /** The gate's checks at a stage's door (Prod), which re-check any build right before it deploys. */
  readonly entryChecks: PlanEntryCheck[];
  readonly gates: {
    readonly haltFlag: string;
    /** The release calendar's settings in one line. */
    readonly calendar: string;
  };
  /** The calendar's time zone, in which the times are also shown. */
  readonly calendarTimezone: string;
  /** How much of the calendar window the gate wants left before prod. */
  readonly lateStartMarginMinutes: number;
  readonly estimates: DurationEstimates;
  readonly timeline: Timeline;
  /** The stages the pipeline manifest names for promotion (Prod, or its waves): the calendar holds builds at each door. */
  readonly promotionStages: readonly string[];
  /** The worst-case exposure of a bad build in prod, through the CodeDeploy canary (the API's Lambda alias). */
  readonly exposure: ExposureFigure;
  /** The same through the ECS services' own canary or blue/green deployments (the tile server). */
  readonly serviceExposure: ExposureFigure<DeploymentExposure>;
  /** What a release along the earliest path costs, estimated. */
  readonly cost: PlanCost;
}

function buildReport(ctx: CliContext, options: PlanOptions): PlanReport {
  const config = loadAppConfig();
  const stacks = readAssembly(options.dir);
  const promotion = promotionPlan(stacks, config.pipelineName);
  const estimates = { buildMinutes: options.buildMinutes, deployMinutes: options.deployMinutes, testsMinutes: options.testsMinutes, guardMinutes: options.guardMinutes };
  const margin = lateStartMarginMinutes(config.bake);
  const pipelineStack = stacks.find((st) => st.stackName === promotion.pipelineStack);
  if (!pipelineStack) throw new CliError(`no stack ${promotion.pipelineStack} in ${options.dir}: run \`npm run synth\` again`);
  const { promotionStages } = manifestOfStack(pipelineStack, promotion.pipelineName);
  const bakes = gateBakes(pipelineStack, promotion.pipelineName);
  const entryChecks = gateEntryChecks(pipelineStack, promotion.pipelineName);
  const timeline = earliestTimeline(promotion, {
    now: options.pushedAt ? new Date(parseTime('--pushed-at', options.pushedAt, config.calendar.timezone)) : ctx.now(),
    bakes,
    entryChecks,
    estimates,
    promotionStages,
    nextOpening: (at) => nextCalendarOpening(config, at, margin),
  });
  return {
    assembly: options.dir,
    promotion,
    bakes,
    entryChecks,
    gates: {
      haltFlag: haltParameterName(config.pipelineName),
      calendar: calendarSettings(config),
    },
    calendarTimezone: config.calendar.timezone,
    lateStartMarginMinutes: margin,
    estimates,
    timeline,
    promotionStages,
    exposure: stageExposure(promotion, promotionStages[0]),
    serviceExposure: stageServiceExposure(promotion, promotionStages[0]),
    cost: planCost(promotion, timeline, stacks, priceTable(config.prices)),
  };
}

export function registerPlanCommand(program: Command, ctx: CliContext): void {
  const minutes = (option: string) => parseWholeNumber(option, 'minutes', 0, 24 * 60);
  program
    .command('plan')
    .description('Dry run, offline, from the synthesized app (npm run synth): the promotion path, bake, canary, gates, the earliest a commit pushed now reaches prod, the worst-case exposure, and what a release costs')
    .option('--json', 'print the plan as JSON')
    .option('--dir <cdk.out>', 'the cloud assembly to read', path.join(PROJECT_ROOT, 'cdk.out'))
    .option('--build-minutes <minutes>', 'estimate for source, build, self-update and assets', minutes('--build-minutes'), DEFAULT_ESTIMATES.buildMinutes)
    .option('--deploy-minutes <minutes>', 'estimate for one CloudFormation deployment, before traffic shifting', minutes('--deploy-minutes'), DEFAULT_ESTIMATES.deployMinutes)
    .option('--tests-minutes <minutes>', "estimate for one CodeBuild action of a release stage (the Sandbox stage's integration tests)", minutes('--tests-minutes'), DEFAULT_ESTIMATES.testsMinutes)
    .option('--guard-minutes <minutes>', 'estimate for one replacement guard step, between a stack\'s Prepare and Deploy', minutes('--guard-minutes'), DEFAULT_ESTIMATES.guardMinutes)
    .option('--pushed-at <time>', 'when the commit is pushed: an ISO-8601 time, or a local time in the calendar\'s zone (default: now)')
    .option('--mermaid', 'print the earliest path as a Mermaid gantt chart instead (for docs and pull requests)')
    .action((options: PlanOptions) => {
      const report = buildReport(ctx, options);
      ctx.report(report, (r) => (options.mermaid ? planMermaid(r) : planPicture(r, r.promotionStages[0])).forEach((line) => ctx.out(line)));
    });
}
