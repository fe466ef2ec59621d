import * as fs from 'node:fs';
import * as cdk from 'aws-cdk-lib';
import { sharedTollgate } from '../fixture';
import { awsSolutionsFindings } from '../nag';

const synthesized = sharedTollgate();
const assembly = synthesized.app.synth();
/** Every stack of the app, the ones in the Dev, Prod and sandbox stages' nested assemblies included. */
const stacks = assembly.stacksRecursively;
const allStacks = (function collect(scope: cdk.Stage | cdk.App): cdk.Stack[] {
  return scope.node.findAll().filter((c): c is cdk.Stack => cdk.Stack.isStack(c));
})(synthesized.app);

test('the assembly holds the pipeline, dev, prod, the sandbox and the cleaner', () => {
  expect(stacks.map((s) => s.stackName).sort()).toEqual(['Dev-Service', 'Pipeline-Service', 'Prod-Service', 'Tollgate-Pipeline', 'Tollgate-SandboxCleaner', 'alice-Service']);
});

// cdk-nag writes a compliance report for each stack it visits, named after the stack's stage and name: a
// stack without one was never checked, whatever its annotations say.
test.each(stacks.map((s) => [s.stackName, s.hierarchicalId]))('cdk-nag visited %s', (stackName) => {
  const reports = fs.readdirSync(assembly.directory).filter((f) => f.startsWith('AwsSolutions-') && f.endsWith(`${stackName}-NagReport.csv`));
  expect(reports).toHaveLength(1);
  expect(fs.readFileSync(`${assembly.directory}/${reports[0]}`, 'utf8').trim().split('\n').length).toBeGreaterThan(1);
});

test.each(allStacks.map((s) => [s.stackName, s]))('%s has no unsuppressed AwsSolutions finding', (_name, stack) => {
  expect(awsSolutionsFindings(stack)).toEqual([]);
});

describe.each(stacks.map((s) => [s.stackName, s.template as { Resources: Record<string, { Type: string; Properties?: Record<string, any> }> }]))(
  '%s keeps no log forever',
  (_name, template) => {
    const resources = Object.entries(template.Resources);
    const ofType = (type: string) => resources.filter(([, r]) => r.Type === type);
    const retained = new Set(ofType('AWS::Logs::LogGroup').filter(([, r]) => typeof r.Properties?.RetentionInDays === 'number').map(([id]) => id));

    test('every log group has a retention', () => {
      expect(ofType('AWS::Logs::LogGroup').filter(([id]) => !retained.has(id)).map(([id]) => id)).toEqual([]);
    });

    // A function or project without a log group of its own logs to one the service creates on first use, forever.
    test('every Lambda function logs to one of those log groups', () => {
      for (const [id, fn] of ofType('AWS::Lambda::Function')) {
        expect([id, fn.Properties?.LoggingConfig?.LogGroup?.Ref]).toEqual([id, expect.any(String)]);
        expect(retained.has(fn.Properties!.LoggingConfig.LogGroup.Ref)).toBe(true);
      }
    });

    test('every CodeBuild project logs to one of those log groups', () => {
      for (const [id, project] of ofType('AWS::CodeBuild::Project')) {
        const cloudWatch = project.Properties?.LogsConfig?.CloudWatchLogs;
        expect([id, cloudWatch?.Status]).toEqual([id, 'ENABLED']);
        expect(retained.has(cloudWatch.GroupName.Ref)).toBe(true);
      }
    });
  },
);
