import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as cdk from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { GUARD_ASSEMBLY_DIR } from '@tollgate/constructs';
import { sharedTollgate } from '../fixture';

const synthesized = sharedTollgate();

/** A pipeline stage's actions as `runOrder name` (provider), in run order. */
function actionsOf(stageName: string): { name: string; runOrder: number; provider: string; configuration: Record<string, unknown> }[] {
  const [pipeline] = Object.values(synthesized.pipeline.findResources('AWS::CodePipeline::Pipeline'));
  const stage = (pipeline.Properties.Stages as { Name: string; Actions: { Name: string; RunOrder: number; ActionTypeId: { Provider: string }; Configuration: Record<string, unknown> }[] }[]).find(
    (s) => s.Name === stageName,
  );
  if (!stage) throw new Error(`no stage ${stageName}`);
  return stage.Actions.map((a) => ({ name: a.Name, runOrder: a.RunOrder, provider: a.ActionTypeId.Provider, configuration: a.Configuration }));
}

describe('replacement guard in the pipeline', () => {
  test.each([
    ['Dev', 'Dev-Service'],
    ['Prod', 'Prod-Service'],
  ])('%s: the guard runs after Prepare created the change set and before Deploy executes it', (stageName, stackName) => {
    const actions = actionsOf(stageName);
    const prepare = actions.find((a) => a.name === 'Prepare')!;
    const guard = actions.find((a) => a.name === `ReplacementGuard-${stackName}`)!;
    const deploy = actions.find((a) => a.name === 'Deploy')!;
    expect(prepare.configuration).toMatchObject({ ActionMode: 'CHANGE_SET_REPLACE', ChangeSetName: 'PipelineChange', StackName: stackName });
    expect(guard.provider).toBe('CodeBuild');
    expect(deploy.configuration).toMatchObject({ ActionMode: 'CHANGE_SET_EXECUTE', ChangeSetName: 'PipelineChange' });
    expect(prepare.runOrder).toBeLessThan(guard.runOrder);
    expect(guard.runOrder).toBeLessThan(deploy.runOrder);
    // The execution asking is named, so an allow-list entry is consumed by one execution.
    expect(JSON.parse(String(guard.configuration.EnvironmentVariables))).toContainEqual({ name: 'GUARD_EXECUTION_ID', type: 'PLAINTEXT', value: '#{codepipeline.PipelineExecutionId}' });
  });

  test('the step assumes the CDK deploy role of each stage account (the pipeline sandbox, dev and prod), and may record consumption only under its prefix', () => {
    const deployRole = (account: string) =>
      Match.objectLike({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iam::${account}:role/cdk-hnb659fds-deploy-role-${account}-us-east-1`]] });
    synthesized.pipeline.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          { Action: ['ssm:GetParameter', 'ssm:PutParameter'], Effect: 'Allow', Resource: 'arn:aws:ssm:us-east-1:111111111111:parameter/tollgate/Tollgate/allow-replace/*' },
          { Action: 'sts:AssumeRole', Effect: 'Allow', Resource: [deployRole('222222222222'), deployRole('333333333333'), deployRole('444444444444')] },
          Match.objectLike({ Action: 'sns:Publish', Resource: Match.objectLike({ Ref: Match.stringLikeRegexp('BakeGateTopic') }) }),
        ]),
      },
    });
  });

  test('the step runs the bundled guard the synth copied into the cloud assembly, with the allow-list', () => {
    synthesized.pipeline.hasResourceProperties('AWS::CodeBuild::Project', {
      Source: { BuildSpec: Match.stringLikeRegexp(`node ${GUARD_ASSEMBLY_DIR}/index\\.js`) },
    });
    const outdir = cdk.Stage.of(synthesized.pipelineStack)!.outdir;
    expect(existsSync(join(outdir, GUARD_ASSEMBLY_DIR, 'index.js'))).toBe(true);
    expect(JSON.parse(readFileSync(join(outdir, GUARD_ASSEMBLY_DIR, 'allow-replace.json'), 'utf8'))).toEqual(expect.any(Array));
  });
});
