import * as cdk from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { CfnTemplate } from '../../cdk/cfn-template';
import { executionPolicy, RESOURCE_TYPE_SERVICES, uncoveredResourceTypes } from '../../cdk/execution-policy';
import { runExecutionPolicyCommand } from '../../cdk/execution-policy-command';
import { serviceBoundaryArn, serviceBoundaryPolicy, type PolicyDocument } from '../../cdk/permissions-boundary';
import { sharedTollgate } from '../fixture';

// Not bundled, like every template suite (test/setup-env.ts): the templates, not the bundles, decide the policy.
const synthesized = sharedTollgate();

const stages = {
  dev: { stage: synthesized.pipelineStack.devStage, account: '222222222222' },
  prod: { stage: synthesized.pipelineStack.prodStage, account: '333333333333' },
};

function policyOf(name: keyof typeof stages): { policy: PolicyDocument; templates: CfnTemplate[] } {
  const { stage, account } = stages[name];
  const stacks = stage.synth().stacks;
  const templates = stacks.map((s) => s.template as CfnTemplate);
  return { policy: executionPolicy({ templates, stackNames: stacks.map((s) => s.stackName), account, region: 'us-east-1' }), templates };
}

const asArray = (v: string | string[]) => (Array.isArray(v) ? v : [v]);

describe.each(Object.keys(stages) as Array<keyof typeof stages>)('the %s execution policy', (name) => {
  const { policy, templates } = policyOf(name);
  const account = stages[name].account;
  const allowed = policy.Statement.filter((s) => s.Effect === 'Allow');

  test('covers every resource type the service stage creates', () => {
    expect(uncoveredResourceTypes(templates)).toEqual([]);
    const services = new Set(allowed.flatMap((s) => s.Action).map((a) => a.split(':')[0]));
    for (const type of new Set(templates.flatMap((t) => Object.values(t.Resources ?? {}).map((r) => r.Type)))) {
      const service = type.startsWith('AWS::IAM::') ? 'iam' : RESOURCE_TYPE_SERVICES[type];
      if (service !== 'cloudformation') expect([type, services.has(service)]).toEqual([type, true]);
    }
  });

  test('is no AdministratorAccess: no "*" action, no iam:* and no IAM action on every resource', () => {
    expect(JSON.stringify(policy)).not.toContain('AdministratorAccess');
    for (const statement of allowed) {
      for (const action of statement.Action) {
        expect(action).not.toBe('*');
        expect(action).not.toMatch(/^iam:\*|^iam:.*\*$/);
        if (action.startsWith('iam:')) expect(asArray(statement.Resource)).not.toContain('*');
      }
    }
    // Non-IAM services only in the stage's region.
    expect(allowed.find((s) => s.Sid === 'ServiceResourcesInItsRegion')?.Condition).toEqual({ StringEquals: { 'aws:RequestedRegion': 'us-east-1' } });
  });

  test('creates and changes only the service\'s roles, and only with the permissions boundary on them', () => {
    const roleWrites = allowed.find((s) => s.Action.includes('iam:CreateRole'))!;
    expect(roleWrites.Action).toEqual(expect.arrayContaining(['iam:CreateRole', 'iam:PutRolePolicy', 'iam:AttachRolePolicy', 'iam:PutRolePermissionsBoundary']));
    expect(roleWrites.Condition).toEqual({ StringEquals: { 'iam:PermissionsBoundary': serviceBoundaryArn(account) } });
    const stackName = `${name === 'dev' ? 'Dev' : 'Prod'}-Service`;
    for (const statement of allowed.filter((s) => s.Action.some((a) => a.startsWith('iam:') && a !== 'iam:CreateServiceLinkedRole'))) {
      expect(asArray(statement.Resource).sort()).toEqual([`arn:aws:iam::${account}:role/${stackName}-*`, `arn:aws:iam::${account}:role/Tollgate-AlarmReader`]);
    }
    // Creating a role or giving it permissions is never allowed without the boundary condition.
    const unconditioned = allowed.filter((s) => s.Condition === undefined).flatMap((s) => s.Action);
    expect(unconditioned).not.toEqual(expect.arrayContaining(['iam:CreateRole']));
    expect(unconditioned).not.toContain('iam:PutRolePolicy');
  });

  test('passes roles only to the services that trust them', () => {
    const pass = allowed.find((s) => s.Action.includes('iam:PassRole'))!;
    expect(pass.Condition).toEqual({ StringEquals: { 'iam:PassedToService': expect.arrayContaining(['lambda.amazonaws.com', 'ecs-tasks.amazonaws.com']) } });
  });

  test('every role of the stage carries the permissions boundary', () => {
    const roles = templates.flatMap((t) => Object.entries(t.Resources ?? {}).filter(([, r]) => r.Type === 'AWS::IAM::Role'));
    expect(roles.length).toBeGreaterThan(5);
    for (const [id, role] of roles) {
      expect([id, JSON.stringify(role.Properties?.PermissionsBoundary)]).toEqual([id, expect.stringContaining(`:iam::${account}:policy/TollgateServiceBoundary`)]);
    }
  });

  test('the boundary allows what the roles\' own policies do, and no IAM', () => {
    const boundary = serviceBoundaryPolicy(templates);
    const services = new Set(boundary.Statement.flatMap((s) => s.Action).map((a) => a.split(':')[0]));
    expect(services.has('iam')).toBe(false);
    expect(services.has('sts')).toBe(false);
    for (const t of templates) {
      for (const r of Object.values(t.Resources ?? {}).filter((x) => x.Type === 'AWS::IAM::Policy')) {
        for (const statement of r.Properties!.PolicyDocument.Statement) {
          for (const action of asArray(statement.Action)) expect([action, services.has(action.split(':')[0])]).toEqual([action, true]);
        }
      }
    }
  });

  test('fits a customer managed policy (6,144 characters without white space)', () => {
    expect(JSON.stringify(policy).length).toBeLessThan(6144);
  });
});

test('a resource type nobody has decided about is refused, by name', () => {
  const templates = [{ Resources: { Queue: { Type: 'AWS::SQS::Queue' }, Fn: { Type: 'AWS::Lambda::Function' } } }];
  expect(uncoveredResourceTypes(templates)).toEqual(['AWS::SQS::Queue']);
  expect(() => executionPolicy({ templates, stackNames: ['S'], account: '222222222222', region: 'us-east-1' })).toThrow(
    'the execution policy does not cover AWS::SQS::Queue; add them to RESOURCE_TYPE_SERVICES in cdk/execution-policy.ts',
  );
});

test('a managed policy the boundary does not know is refused', () => {
  const stack = new cdk.Stack(new cdk.App(), 'S');
  new iam.Role(stack, 'R', {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('AdministratorAccess')],
  });
  expect(() => serviceBoundaryPolicy([Template.fromStack(stack).toJSON() as CfnTemplate])).toThrow('managed policy AdministratorAccess, which the permissions boundary does not know');
});

test('sandboxes carry no boundary: the sandbox account is not bootstrapped with the execution policy', () => {
  synthesized.sandboxTemplate.hasResourceProperties('AWS::IAM::Role', { PermissionsBoundary: Match.absent() });
});

describe('npm run execution-policy', () => {
  test('prints the policy of the stage as JSON', () => {
    const out: string[] = [];
    expect(runExecutionPolicyCommand(['--stage', 'prod'], (l) => out.push(l), () => undefined, {})).toBe(0);
    expect(JSON.parse(out.join('\n'))).toEqual(policyOf('prod').policy);
  });

  test.each([[['--stage', 'qa'], 'tollgate: --stage must be dev or prod, got "qa"'], [[], 'tollgate: --stage must be dev or prod, got undefined']])('%j is refused with one line and exit 2', (argv, line) => {
    const err: string[] = [];
    expect(runExecutionPolicyCommand(argv, () => undefined, (l) => err.push(l), {})).toBe(2);
    expect(err).toEqual([line]);
  });
});
