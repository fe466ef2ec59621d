import { PipelineManifestDocument } from '@tollgate/constructs/lib/domain/pipeline-manifest';

/**
 * The manifest the default app's pipeline stack writes (test/templates/pipeline-manifest.tests.ts checks that
 * the synthesized one is exactly this), which the online commands read from its SSM parameter.
 */
export const MANIFEST: PipelineManifestDocument = {
  schemaVersion: 2,
  pipelineName: 'Tollgate',
  stages: ['Source', 'Build', 'UpdatePipeline', 'Assets', 'Sandbox', 'Dev', 'Prod'],
  promotionStages: ['Prod'],
  gateActions: [
    { kind: 'bake', stage: 'Dev', action: 'Bake', environments: ['dev'], minutes: 60 },
    { kind: 'bake', stage: 'Prod', action: 'ProdBake', environments: ['prod'], minutes: 30 },
    { kind: 'entry-check', stage: 'Prod', action: 'EntryCheck', environments: ['prod'] },
  ],
  environments: [
    { name: 'dev', account: '222222222222', region: 'us-east-1', healthAlarmName: 'Dev-Service-Health', otherAlarmNames: [], readerRoleArn: 'arn:aws:iam::222222222222:role/Tollgate-AlarmReader' },
    { name: 'prod', account: '333333333333', region: 'us-east-1', healthAlarmName: 'Prod-Service-Health', otherAlarmNames: [], readerRoleArn: 'arn:aws:iam::333333333333:role/Tollgate-AlarmReader' },
  ],
  alarmLatencyMinutes: 3,
  controls: { path: '/tollgate/Tollgate', haltParameterName: '/tollgate/Tollgate/halt' },
  releaseTopic: { name: 'Tollgate-release-events', arn: 'arn:aws:sns:us-east-1:111111111111:Tollgate-release-events' },
  gateStateTableName: 'Tollgate-BakeGateState',
  operatorRoleArn: 'arn:aws:iam::111111111111:role/Tollgate-Operator',
};
