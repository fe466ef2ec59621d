#!/usr/bin/env node
/**
 * `npm run execution-policy -- --stage dev|prod [--boundary]`: prints, as JSON, the CloudFormation execution
 * policy (or with `--boundary` the service roles' permissions boundary) of that stage's account, computed from the
 * service stage as the app synthesizes it now. Offline: no credentials, no bundling.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as os from 'node:os';
import { parseArgs } from 'node:util';
import type { CfnTemplate } from './cfn-template';
import { ConfigError } from './config';
import { executionPolicy } from './execution-policy';
import { serviceBoundaryPolicy, type PolicyDocument } from './permissions-boundary';
import { createTollgateApp } from './tollgate';

/** Runs the command; returns the exit code. */
export function runExecutionPolicyCommand(argv: string[], out: (line: string) => void, err: (line: string) => void, env: Record<string, string | undefined> = process.env): number {
  let values: { stage?: string; boundary?: boolean };
  try {
    values = parseArgs({ args: argv, options: { stage: { type: 'string' }, boundary: { type: 'boolean' } } }).values;
  } catch (e) {
    err(`tollgate: ${(e as Error).message}`);
    return 2;
  }
  if (values.stage !== 'dev' && values.stage !== 'prod') {
    err(`tollgate: --stage must be dev or prod, got ${JSON.stringify(values.stage)}`);
    return 2;
  }
  try {
    out(JSON.stringify(stagePolicy(values.stage, values.boundary === true, env), null, 2));
    return 0;
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    err(`tollgate: ${e.message}`);
    return 1;
  }
}

function stagePolicy(stageName: 'dev' | 'prod', boundary: boolean, env: Record<string, string | undefined>): PolicyDocument {
  const cdkJson = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
  const tollgate = createTollgateApp({
    env,
    userName: () => 'execution-policy',
    // The templates, not the bundles, decide the policy.
    appProps: { context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] }, outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'tollgate-policy-')) },
  });
  const stage = stageName === 'dev' ? tollgate.pipelineStack.devStage : tollgate.pipelineStack.prodStage;
  const stacks = stage.synth().stacks;
  const templates = stacks.map((s) => s.template as CfnTemplate);
  const { account, region } = tollgate.config[stageName];
  return boundary ? serviceBoundaryPolicy(templates) : executionPolicy({ templates, stackNames: stacks.map((s) => s.stackName), account, region });
}

if (require.main === module) {
  process.exitCode = runExecutionPolicyCommand(process.argv.slice(2), (l) => console.log(l), (l) => console.error(l));
}
