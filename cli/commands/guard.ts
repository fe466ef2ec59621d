import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CloudFormationClient, GetTemplateCommand } from '@aws-sdk/client-cloudformation';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { Command } from 'commander';
import {
  DescribedChangeSet,
  GuardVerdict,
  TemplateResources,
  describeVerdict,
  diffTemplates,
  evaluateChangeSets,
  parseAllowList,
} from '@tollgate/constructs/lib/domain/replacement-guard';
import { describeError } from '../aws';
import { CliContext, CliError } from '../context';

/** The allow-list the pipeline's guard reads too, at the repository root. */
export const ALLOW_LIST_FILE = 'tollgate-allow-replace.json';

interface GuardOptions {
  readonly stage?: string;
  readonly baseline?: string;
  readonly assembly: string;
}

/** A stack of a cloud assembly: its name, where it deploys, its template. */
export interface AssemblyStack {
  readonly stackName: string;
  /** The construct path, e.g. `Tollgate-Pipeline/Dev/Service`. */
  readonly displayName: string;
  readonly account?: string;
  readonly region?: string;
  readonly template: TemplateResources;
}

/** Every stack of the cloud assembly in `dir`, nested assemblies (CDK Pipelines' stages) included. */
export function readAssemblyStacks(dir: string): AssemblyStack[] {
  const manifestFile = join(dir, 'manifest.json');
  if (!existsSync(manifestFile)) throw new CliError(`${dir} is not a cloud assembly (no manifest.json): run \`npm run synth\` first`);
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as { artifacts?: Record<string, { type: string; environment?: string; displayName?: string; properties?: Record<string, string> }> };
  const stacks: AssemblyStack[] = [];
  for (const [id, artifact] of Object.entries(manifest.artifacts ?? {})) {
    if (artifact.type === 'cdk:cloud-assembly' && artifact.properties?.directoryName) {
      stacks.push(...readAssemblyStacks(join(dir, artifact.properties.directoryName)));
    } else if (artifact.type === 'aws:cloudformation:stack' && artifact.properties?.templateFile) {
      const env = /^aws:\/\/([^/]+)\/(.+)$/.exec(artifact.environment ?? '');
      stacks.push({
        stackName: artifact.properties.stackName ?? id,
        displayName: artifact.displayName ?? id,
        account: env?.[1],
        region: env?.[2],
        template: JSON.parse(readFileSync(join(dir, artifact.properties.templateFile), 'utf8')) as TemplateResources,
      });
    }
  }
  return stacks;
}

/** The stacks of the pipeline's dev or prod stage (both without `stage`): those whose construct path names it. */
function stageStacks(stacks: AssemblyStack[], stage: string | undefined): AssemblyStack[] {
  const stages = stage ? [stage] : ['dev', 'prod'];
  return stacks.filter((s) => s.displayName.split('/').some((segment) => stages.includes(segment.toLowerCase())));
}

/** The deployed template of `stack` (GetTemplate, as deployed: `Original`); a stack never deployed has none. */
export async function deployedTemplate(stack: AssemblyStack): Promise<TemplateResources> {
  const region = stack.region && !stack.region.startsWith('unknown') ? stack.region : undefined;
  const sts = new STSClient(region ? { region } : {});
  const cfn = new CloudFormationClient(region ? { region } : {});
  let account: string | undefined;
  try {
    account = (await sts.send(new GetCallerIdentityCommand({}))).Account;
  } catch (err) {
    throw new CliError(`cannot decide: no usable AWS credentials to read ${stack.stackName}'s deployed template (${describeError(err)}); use --baseline DIR to compare offline`);
  }
  if (stack.account && /^\d{12}$/.test(stack.account) && account !== stack.account) {
    throw new CliError(`cannot decide: the credentials are for account ${account}, ${stack.stackName} deploys to ${stack.account}: use a profile for that account, or --baseline DIR`);
  }
  try {
    const { TemplateBody } = await cfn.send(new GetTemplateCommand({ StackName: stack.stackName, TemplateStage: 'Original' }));
    return JSON.parse(TemplateBody ?? '{}') as TemplateResources;
  } catch (err) {
    if ((err as Error).name === 'ValidationError' && /does not exist/.test((err as Error).message)) return {};
    if (err instanceof SyntaxError) throw new CliError(`cannot decide: ${stack.stackName}'s deployed template is not JSON (${err.message})`);
    throw new CliError(`cannot decide: ${stack.stackName}'s deployed template cannot be read (${describeError(err)})`);
  }
}

/** `tollgate guard`: would the synthesized change replace or remove a stateful resource? Exit 0 no, 1 yes, 2 cannot decide. */
export function registerGuardCommand(program: Command, ctx: CliContext): void {
  program
    .command('guard')
    .description(
      `Would deploying cdk.out replace or remove a stateful resource (a table, bucket, queue, key, ...)? Compares against --baseline DIR (an earlier cdk.out, offline) or the deployed templates (credentials for the stage's account). Announced replacements are listed in ${ALLOW_LIST_FILE}. Exit 0 no, 1 yes, 2 bad input or cannot decide.`,
    )
    .option('--stage <stage>', 'dev or prod (default: both)', (value: string) => {
      if (value !== 'dev' && value !== 'prod') throw new CliError(`--stage must be dev or prod, got ${JSON.stringify(value)}`);
      return value;
    })
    .option('--baseline <dir>', 'a previous cloud assembly (cdk.out) to compare with, offline')
    .option('--assembly <dir>', 'the synthesized cloud assembly', 'cdk.out')
    .action(async (options: GuardOptions) => {
      const current = stageStacks(readAssemblyStacks(options.assembly), options.stage);
      if (current.length === 0) throw new CliError(`${options.assembly} has no stacks of stage ${options.stage ?? 'dev or prod'}`);
      const allowList = existsSync(ALLOW_LIST_FILE) ? parseAllowListOrFail(readFileSync(ALLOW_LIST_FILE, 'utf8')) : [];
      const changeSets: DescribedChangeSet[] = [];
      if (options.baseline) {
        const baseline = stageStacks(readAssemblyStacks(options.baseline), options.stage);
        for (const stack of current) changeSets.push(diffTemplates(stack.stackName, baseline.find((b) => b.stackName === stack.stackName)?.template ?? {}, stack.template));
        // A stack gone from the assembly is deleted with all it holds.
        for (const gone of baseline.filter((b) => !current.some((c) => c.stackName === b.stackName))) changeSets.push(diffTemplates(gone.stackName, gone.template, {}));
      } else {
        for (const stack of current) changeSets.push(diffTemplates(stack.stackName, await deployedTemplate(stack), stack.template));
      }
      const verdict = evaluateChangeSets(changeSets, { allowList });
      ctx.report(verdictResult(verdict, options.baseline ? `baseline ${options.baseline}` : 'deployed templates'), () => {
        for (const line of describeVerdict(verdict)) ctx.out(line);
        if (verdict.allowed.length > 0) ctx.out('allowed entries are consumed once, by the pipeline execution that deploys them');
      });
      ctx.setExitCode(verdict.outcome === 'pass' ? 0 : verdict.outcome === 'fail' ? 1 : 2);
    });
}

function parseAllowListOrFail(text: string) {
  try {
    return parseAllowList(ALLOW_LIST_FILE, text);
  } catch (err) {
    throw new CliError((err as Error).message);
  }
}

function verdictResult(verdict: GuardVerdict, comparedWith: string) {
  return { outcome: verdict.outcome, comparedWith, blocked: verdict.blocked, allowed: verdict.allowed, undecided: verdict.undecided, unusedEntries: verdict.unusedEntries };
}
