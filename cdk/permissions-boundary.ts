/**
 * The permissions boundary every role of the dev and prod service stacks carries, so that CloudFormation, which
 * may create those roles (cdk/execution-policy.ts), cannot create one that is worth more than the service needs.
 * The policy is created by hand in each target account from `npm run execution-policy -- --stage <s> --boundary`.
 */
import { CfnTemplate, templateRoles } from './cfn-template';

/** Name of the boundary policy in the dev and prod accounts. */
export const SERVICE_BOUNDARY_POLICY_NAME = 'TollgateServiceBoundary';

/** Its ARN in `account` (commercial partition). */
export function serviceBoundaryArn(account: string): string {
  return `arn:aws:iam::${account}:policy/${SERVICE_BOUNDARY_POLICY_NAME}`;
}

/**
 * The services AWS managed policies attached to the service's roles grant actions in. A role with a managed policy
 * not listed here makes the boundary refuse to compute, so nobody widens the roles without widening this list.
 */
const MANAGED_POLICY_SERVICES: Readonly<Record<string, readonly string[]>> = {
  // Service Authorization Reference / the policies' own documents in the IAM console.
  'service-role/AWSLambdaBasicExecutionRole': ['logs'],
  'service-role/AWSCodeDeployRoleForLambdaLimited': ['cloudwatch', 'lambda', 'sns', 's3'],
};

/** An IAM policy document. */
export interface PolicyDocument {
  readonly Version: '2012-10-17';
  readonly Statement: Array<{ Sid: string; Effect: 'Allow' | 'Deny'; Action: string[]; Resource: string | string[]; Condition?: Record<string, Record<string, unknown>> }>;
}

/**
 * The boundary: every action of the services the roles' own policies and managed policies use, and nothing of
 * IAM, STS role chaining, Organizations or the account (those are simply not listed).
 */
export function serviceBoundaryPolicy(templates: readonly CfnTemplate[]): PolicyDocument {
  const services = new Set<string>();
  for (const role of templates.flatMap(templateRoles)) {
    for (const action of role.actions) services.add(action.split(':')[0]);
    for (const managed of role.managedPolicies) {
      const known = MANAGED_POLICY_SERVICES[managed];
      if (!known) throw new Error(`role ${role.logicalId} has managed policy ${managed}, which the permissions boundary does not know; add it to MANAGED_POLICY_SERVICES`);
      known.forEach((s) => services.add(s));
    }
  }
  if (services.has('iam')) throw new Error('a service role uses IAM actions, which the permissions boundary never allows');
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'ServiceActionsInItsRegion',
        Effect: 'Allow',
        Action: [...services].sort().map((s) => `${s}:*`),
        // No region condition: the alarm forwarder's events:PutEvents goes to the deployment account's bus, which
        // may be in another region.
        Resource: '*',
      },
    ],
  };
}
