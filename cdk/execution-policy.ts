/**
 * The CloudFormation execution policy of the dev and prod accounts (the policy `cdk bootstrap
 * --cloudformation-execution-policies` gives CloudFormation's role there), computed from the synthesized service
 * stack templates instead of AdministratorAccess: the services of the resource types the service creates, in its
 * region, and IAM only for the service's own roles, created only with the permissions boundary.
 */
import { CfnTemplate, resourceTypes, templateRoles } from './cfn-template';
import { PolicyDocument, serviceBoundaryArn } from './permissions-boundary';

/**
 * The IAM service prefix CloudFormation needs for each resource type the service creates. A template with a type
 * not listed here is refused: a new kind of resource is a decision about what CloudFormation may do.
 * (`AWS::IAM::*` is not here: IAM gets the narrow statements below.)
 */
export const RESOURCE_TYPE_SERVICES: Readonly<Record<string, string>> = {
  'AWS::ApiGatewayV2::Api': 'apigateway',
  'AWS::ApiGatewayV2::Integration': 'apigateway',
  'AWS::ApiGatewayV2::Route': 'apigateway',
  'AWS::ApiGatewayV2::Stage': 'apigateway',
  'AWS::CloudWatch::Alarm': 'cloudwatch',
  'AWS::CloudWatch::CompositeAlarm': 'cloudwatch',
  'AWS::CodeDeploy::Application': 'codedeploy',
  'AWS::CodeDeploy::DeploymentConfig': 'codedeploy',
  'AWS::CodeDeploy::DeploymentGroup': 'codedeploy',
  'AWS::DynamoDB::GlobalTable': 'dynamodb',
  'AWS::EC2::FlowLog': 'ec2',
  'AWS::EC2::InternetGateway': 'ec2',
  'AWS::EC2::Route': 'ec2',
  'AWS::EC2::RouteTable': 'ec2',
  'AWS::EC2::SecurityGroup': 'ec2',
  'AWS::EC2::SecurityGroupEgress': 'ec2',
  'AWS::EC2::SecurityGroupIngress': 'ec2',
  'AWS::EC2::Subnet': 'ec2',
  'AWS::EC2::SubnetRouteTableAssociation': 'ec2',
  'AWS::EC2::VPC': 'ec2',
  'AWS::EC2::VPCEndpoint': 'ec2',
  'AWS::EC2::VPCGatewayAttachment': 'ec2',
  'AWS::ECS::Cluster': 'ecs',
  'AWS::ECS::Service': 'ecs',
  'AWS::ECS::TaskDefinition': 'ecs',
  'AWS::ElasticLoadBalancingV2::Listener': 'elasticloadbalancing',
  'AWS::ElasticLoadBalancingV2::ListenerRule': 'elasticloadbalancing',
  'AWS::ElasticLoadBalancingV2::LoadBalancer': 'elasticloadbalancing',
  'AWS::ElasticLoadBalancingV2::TargetGroup': 'elasticloadbalancing',
  'AWS::Events::Rule': 'events',
  'AWS::Lambda::Alias': 'lambda',
  'AWS::Lambda::Function': 'lambda',
  'AWS::Lambda::Permission': 'lambda',
  'AWS::Lambda::Version': 'lambda',
  'AWS::Logs::LogGroup': 'logs',
  'AWS::S3::Bucket': 's3',
  'AWS::S3::BucketPolicy': 's3',
  'AWS::Synthetics::Canary': 'synthetics',
  // CloudFormation invokes a custom resource's provider function with the execution role.
  'Custom::VpcRestrictDefaultSG': 'lambda',
  'AWS::CDK::Metadata': 'cloudformation',
};

/** Resource types whose first creation in an account also creates a service-linked role. */
const SERVICE_LINKED_ROLES: Readonly<Record<string, string>> = {
  'AWS::ECS::Cluster': 'ecs.amazonaws.com',
  'AWS::ECS::Service': 'ecs.amazonaws.com',
  'AWS::ElasticLoadBalancingV2::LoadBalancer': 'elasticloadbalancing.amazonaws.com',
};

/** The IAM role actions CloudFormation uses to create, update and delete a role and its policies. */
const ROLE_WRITE_ACTIONS = ['iam:CreateRole', 'iam:PutRolePolicy', 'iam:AttachRolePolicy', 'iam:DetachRolePolicy', 'iam:DeleteRolePolicy', 'iam:PutRolePermissionsBoundary'];
const ROLE_OTHER_ACTIONS = [
  'iam:DeleteRole',
  'iam:GetRole',
  'iam:GetRolePolicy',
  'iam:ListAttachedRolePolicies',
  'iam:ListRolePolicies',
  'iam:ListRoleTags',
  'iam:TagRole',
  'iam:UntagRole',
  'iam:UpdateAssumeRolePolicy',
  'iam:UpdateRole',
  'iam:UpdateRoleDescription',
];

export interface ExecutionPolicyProps {
  /** The synthesized templates of the stage's stacks. */
  readonly templates: readonly CfnTemplate[];
  /** Their stack names: CloudFormation names the roles it names itself `<stack>-<logicalId>-<suffix>`. */
  readonly stackNames: readonly string[];
  readonly account: string;
  readonly region: string;
}

/** The resource types of the templates that {@link RESOURCE_TYPE_SERVICES} does not cover (IAM aside). */
export function uncoveredResourceTypes(templates: readonly CfnTemplate[]): string[] {
  const types = new Set(templates.flatMap(resourceTypes));
  return [...types].filter((t) => !t.startsWith('AWS::IAM::') && RESOURCE_TYPE_SERVICES[t] === undefined).sort();
}

/**
 * The execution policy for one stage's account.
 *
 * @throws Error naming any resource type the policy does not cover.
 */
export function executionPolicy(props: ExecutionPolicyProps): PolicyDocument {
  const uncovered = uncoveredResourceTypes(props.templates);
  if (uncovered.length > 0) {
    throw new Error(`the execution policy does not cover ${uncovered.join(', ')}; add them to RESOURCE_TYPE_SERVICES in cdk/execution-policy.ts`);
  }
  const types = new Set(props.templates.flatMap(resourceTypes));
  const services = new Set([...types].filter((t) => !t.startsWith('AWS::IAM::')).map((t) => RESOURCE_TYPE_SERVICES[t]));
  services.delete('cloudformation'); // CDK's metadata resource needs no permission.
  const roles = props.templates.flatMap(templateRoles);
  const roleArn = (name: string) => `arn:aws:iam::${props.account}:role/${name}`;
  const named = roles.flatMap((r) => (r.roleName && !props.stackNames.some((s) => r.roleName!.startsWith(`${s}-`)) ? [r.roleName] : []));
  const roleArns = [...new Set([...props.stackNames.map((s) => `${s}-*`), ...named])].sort().map(roleArn);
  const passedToServices = [...new Set(roles.flatMap((r) => r.trustedServices))].sort();
  const serviceLinked = [...new Set([...types].flatMap((t) => (SERVICE_LINKED_ROLES[t] ? [SERVICE_LINKED_ROLES[t]] : [])))].sort();
  const boundary = { StringEquals: { 'iam:PermissionsBoundary': serviceBoundaryArn(props.account) } };

  const statements: PolicyDocument['Statement'] = [
    {
      Sid: 'ServiceResourcesInItsRegion',
      Effect: 'Allow',
      Action: [...services].sort().map((s) => `${s}:*`),
      Resource: '*',
      Condition: { StringEquals: { 'aws:RequestedRegion': props.region } },
    },
    // IAM Service Authorization Reference: iam:PermissionsBoundary applies to these actions, so CloudFormation can
    // create and change the service's roles only with the boundary on them.
    { Sid: 'ServiceRolesOnlyWithBoundary', Effect: 'Allow', Action: ROLE_WRITE_ACTIONS, Resource: roleArns, Condition: boundary },
    { Sid: 'ServiceRoles', Effect: 'Allow', Action: ROLE_OTHER_ACTIONS, Resource: roleArns },
    {
      Sid: 'PassServiceRolesToTheirServices',
      Effect: 'Allow',
      Action: ['iam:PassRole'],
      Resource: roleArns,
      Condition: { StringEquals: { 'iam:PassedToService': passedToServices } },
    },
    // The CDK bootstrap version parameter every template checks (Rules.CheckBootstrapVersion).
    {
      Sid: 'ReadBootstrapVersion',
      Effect: 'Allow',
      Action: ['ssm:GetParameters'],
      Resource: `arn:aws:ssm:${props.region}:${props.account}:parameter/cdk-bootstrap/*`,
    },
  ];
  if (serviceLinked.length > 0) {
    statements.push({
      Sid: 'ServiceLinkedRolesOfItsServices',
      Effect: 'Allow',
      Action: ['iam:CreateServiceLinkedRole'],
      Resource: `arn:aws:iam::${props.account}:role/aws-service-role/*`,
      Condition: { StringEquals: { 'iam:AWSServiceName': serviceLinked } },
    });
  }
  return { Version: '2012-10-17', Statement: statements };
}
