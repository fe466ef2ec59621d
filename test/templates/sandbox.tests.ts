import * as cdk from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { EXPIRES_TAG, OWNER_TAG, SANDBOX_TAG } from '../../lambdas/shared/sandbox-tags';
import { configuredTollgate, synthesizeTollgate } from '../fixture';

function stackTags(app: cdk.App, stackName: string): Record<string, string> {
  const assembly = app.synth();
  const stacks = [...assembly.stacks, ...assembly.nestedAssemblies.flatMap((a) => a.nestedAssembly.stacks)];
  const artifact = stacks.find((s) => s.stackName === stackName);
  if (!artifact) throw new Error(`no stack ${stackName}`);
  return artifact.tags;
}

describe('a personal sandbox', () => {
  const synthesized = synthesizeTollgate({ sandbox: 'bob', sandboxOwner: 'bob.builder', sandboxExpires: '2099-01-01T00:00:00Z' }, { now: () => new Date('2098-12-31T00:00:00Z') });
  const template = synthesized.sandboxTemplate;
  const stack = synthesized.sandbox.service;

  test('is the same service stage, named <name>-Service, in the sandbox account', () => {
    expect(stack.stackName).toBe('bob-Service');
    expect(stack.account).toBe('444444444444');
    expect(stack.region).toBe('us-east-1');
    template.hasResourceProperties('AWS::Lambda::Alias', { Name: 'live' });
    template.resourceCountIs('AWS::CloudWatch::CompositeAlarm', 1);
  });

  test('its physical names are its own, so it shares nothing with dev or prod', () => {
    template.hasResourceProperties('AWS::CloudWatch::CompositeAlarm', { AlarmName: 'bob-Service-Health' });
    for (const alarm of Object.values(template.findResources('AWS::CloudWatch::Alarm'))) {
      expect(alarm.Properties.AlarmName).toMatch(/^bob-Service-/);
    }
  });

  test('every resource is removed with the stack: DESTROY, no deletion protection', () => {
    template.hasResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'Delete',
      Properties: Match.objectLike({ Replicas: [Match.objectLike({ DeletionProtectionEnabled: false })] }),
    });
    const resources = template.toJSON().Resources as Record<string, { DeletionPolicy?: string; Type: string }>;
    const kept = Object.entries(resources).filter(([, r]) => r.DeletionPolicy !== undefined && r.DeletionPolicy !== 'Delete');
    expect(kept).toEqual([]);
    template.hasResource('AWS::Logs::LogGroup', { DeletionPolicy: 'Delete' });
    template.hasResource('AWS::Lambda::Version', { DeletionPolicy: 'Delete' });
  });

  test('it is tagged with its owner and its name', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Tags: Match.arrayWith([
        { Key: OWNER_TAG, Value: 'bob.builder' },
        { Key: SANDBOX_TAG, Value: 'bob' },
      ]),
    });
    // Stack-level tags are what CloudFormation's DescribeStacks shows the sandbox cleaner and `sandbox list`.
    expect(stackTags(synthesized.app, 'bob-Service')).toEqual({ [SANDBOX_TAG]: 'bob', [OWNER_TAG]: 'bob.builder', [EXPIRES_TAG]: '2099-01-01T00:00:00Z' });
  });

  test('dev and prod carry no sandbox tags and keep their data', () => {
    expect(stackTags(synthesized.app, 'Dev-Service')).toEqual({});
    synthesized.prod.hasResource('AWS::DynamoDB::GlobalTable', { DeletionPolicy: 'Retain' });
  });
});

test('the sandbox defaults to the OS user name, normalized, and goes to the configured sandbox account', () => {
  const synthesized = configuredTollgate();
  expect(synthesized.sandbox.service.stackName).toBe('carol-smith-Service');
  expect([synthesized.sandbox.service.account, synthesized.sandbox.service.region]).toEqual(['444444444444', 'eu-west-1']);
  expect(stackTags(synthesized.app, 'carol-smith-Service')[OWNER_TAG]).toBe('Carol.Smith');
});
