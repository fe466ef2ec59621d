/**
 * The pipeline manifest of the default app: the document the command line reads instead of knowing stage,
 * action and alarm names, written as an SSM parameter (online) and as template metadata (`plan`, offline).
 */
import { Match } from 'aws-cdk-lib/assertions';
import { MANIFEST_METADATA_KEY, manifestParameterName, parsePipelineManifestJson } from '@tollgate/constructs/lib/domain/pipeline-manifest';
import { MANIFEST } from '../cli-fixture';
import { sharedTollgate } from '../fixture';

describe('the pipeline manifest of the default app', () => {
  const synthesized = sharedTollgate();
  const template = () => synthesized.pipeline;

  test('describes the pipeline as the command line fixtures assume it: stages, promotion stage, gate actions, environments, controls', () => {
    expect(synthesized.pipelineStack.manifest.document).toEqual(MANIFEST);
  });

  test('is one document in two places: the SSM parameter the online commands read and the template metadata plan reads', () => {
    const parameters = template().findResources('AWS::SSM::Parameter', { Properties: { Name: manifestParameterName('Tollgate') } });
    const [parameter] = Object.values(parameters);
    expect(parameter.Properties).toEqual(expect.objectContaining({ Type: 'String', Tier: 'Standard' }));
    // A plain string, no CloudFormation reference: what plan reads offline is exactly what CloudFormation writes.
    expect(typeof parameter.Properties.Value).toBe('string');
    expect(parsePipelineManifestJson(parameter.Properties.Value, 'the parameter')).toEqual(MANIFEST);
    expect(template().toJSON().Metadata[MANIFEST_METADATA_KEY]).toEqual(MANIFEST);
  });

  test('every stage and gate action it lists is in the pipeline, in that order, each a manual approval', () => {
    const [pipeline] = Object.values(template().findResources('AWS::CodePipeline::Pipeline'));
    const stages = pipeline.Properties.Stages as { Name: string; Actions: { Name: string; ActionTypeId: { Category: string } }[] }[];
    expect(stages.map((s) => s.Name)).toEqual(MANIFEST.stages);
    for (const action of MANIFEST.gateActions) {
      const found = stages.find((s) => s.Name === action.stage)?.Actions.find((a) => a.Name === action.action);
      expect([action.stage, action.action, found?.ActionTypeId.Category]).toEqual([action.stage, action.action, 'Approval']);
    }
  });

  test('the names it gives are those of the resources: release topic, gate table, operator role, health alarms', () => {
    template().hasResourceProperties('AWS::SNS::Topic', { TopicName: MANIFEST.releaseTopic.name });
    template().hasResourceProperties('AWS::DynamoDB::GlobalTable', { TableName: MANIFEST.gateStateTableName });
    template().hasResourceProperties('AWS::IAM::Role', { RoleName: MANIFEST.operatorRoleArn.split('/').pop() });
    expect(MANIFEST.releaseTopic.arn.endsWith(`:${MANIFEST.releaseTopic.name}`)).toBe(true);
    synthesized.dev.hasResourceProperties('AWS::CloudWatch::CompositeAlarm', { AlarmName: MANIFEST.environments[0].healthAlarmName });
    synthesized.prod.hasResourceProperties('AWS::CloudWatch::CompositeAlarm', { AlarmName: MANIFEST.environments[1].healthAlarmName });
    synthesized.dev.hasResourceProperties('AWS::IAM::Role', { RoleName: MANIFEST.environments[0].readerRoleArn.split('/').pop() });
  });

  test('the operator role may read the manifest, and nothing may write it but CloudFormation', () => {
    template().hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'ReadManifest',
            Action: 'ssm:GetParameter',
            Resource: 'arn:aws:ssm:us-east-1:111111111111:parameter/tollgate-manifest/Tollgate',
          }),
        ]),
      },
    });
    // The controls hierarchy the operator may write does not contain it.
    expect(manifestParameterName('Tollgate').startsWith(`${MANIFEST.controls.path}/`)).toBe(false);
  });
});
