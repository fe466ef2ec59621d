import * as cdk from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { ReleasePipeline } from '@tollgate/constructs';

// The release pipeline alone in a bare stack, with one trivial stage: cheap, and what matters here is the Build step.
function pipelineTemplate(gateCheck: boolean): Template {
  const app = new cdk.App();
  const stack = new cdk.Stack(app, 'Pipeline', { env: { account: '111111111111', region: 'us-east-1' } });
  const stage = new cdk.Stage(app, 'Dev', { env: { account: '222222222222', region: 'us-east-1' } });
  new sns.Topic(new cdk.Stack(stage, 'Service'), 'Topic');
  const release = new ReleasePipeline(stack, 'Release', {
    pipelineName: 'Tollgate',
    source: { fullName: 'org/repo', branch: 'main', connectionArn: 'arn:aws:codeconnections:us-east-1:111111111111:connection/abc' },
    stages: [stage],
    cliVersion: '2.1148.1',
    cdkAssetsCliVersion: '4.7.3',
    gateCheck,
  });
  release.buildPipeline();
  return Template.fromStack(stack);
}

const withCheck = pipelineTemplate(true);
const buildProjects = (template: Template) =>
  Object.entries(template.findResources('AWS::CodeBuild::Project')).filter(([id]) => id.includes('BuildCdkBuildProject'));
const commandsOf = (template: Template) => {
  const [[, project]] = buildProjects(template);
  return JSON.parse(project.Properties.Source.BuildSpec).phases.build.commands as string[];
};

test('the Build step checks the gate after synth, before self-mutation', () => {
  expect(commandsOf(withCheck)).toEqual(['npm ci', 'npm test', 'npm run synth', 'npm run gate-check']);
  expect(commandsOf(pipelineTemplate(false))).toEqual(['npm ci', 'npm test', 'npm run synth']);
});

test("the Build step's role may read exactly the floor parameter, and no other parameter", () => {
  const [[, project]] = buildProjects(withCheck);
  const roleId = project.Properties.ServiceRole['Fn::GetAtt'][0];
  const policies = Object.values(withCheck.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleId }] } }));
  const ssm = policies.flatMap((p) => p.Properties.PolicyDocument.Statement).filter((s: { Action: string | string[] }) => [s.Action].flat().some((a) => a.startsWith('ssm:')));
  expect(ssm).toEqual([
    {
      Effect: 'Allow',
      Action: 'ssm:GetParameter',
      Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ssm:us-east-1:111111111111:parameter/tollgate/Tollgate/gate-floor']] },
    },
  ]);
});

test('the Build action tells the check its pipeline, its floor and the commit message, from the source action', () => {
  const pipeline = Object.values(withCheck.findResources('AWS::CodePipeline::Pipeline'))[0];
  const stages = pipeline.Properties.Stages as { Name: string; Actions: { Name: string; Configuration: Record<string, unknown> }[] }[];
  const source = stages.find((s) => s.Name === 'Source')!.Actions[0] as unknown as { Namespace: string };
  const build = stages.find((s) => s.Name === 'Build')!.Actions[0];
  const variables = JSON.parse(build.Configuration.EnvironmentVariables as string) as { name: string; value: string; type: string }[];
  // CDK Pipelines puts a value with a pipeline variable on the action, where CodePipeline resolves it per execution.
  expect(variables).toContainEqual({ name: 'TOLLGATE_COMMIT_MESSAGE', type: 'PLAINTEXT', value: `#{${source.Namespace}.CommitMessage}` });
  // The plain ones on the project: set by the deployed pipeline, whatever the commit says.
  const [[, project]] = buildProjects(withCheck);
  expect(project.Properties.Environment.EnvironmentVariables).toEqual(
    expect.arrayContaining([
      { Name: 'TOLLGATE_GATE_CHECK_PIPELINE', Type: 'PLAINTEXT', Value: 'Tollgate' },
      { Name: 'TOLLGATE_GATE_FLOOR_PARAMETER', Type: 'PLAINTEXT', Value: '/tollgate/Tollgate/gate-floor' },
    ]),
  );
  expect(source.Namespace).toEqual(expect.any(String));
  // The check runs in Build, and self-mutation (UpdatePipeline) deploys the commit's gate only after it.
  expect(stages.map((s) => s.Name).slice(0, 3)).toEqual(['Source', 'Build', 'UpdatePipeline']);
});
