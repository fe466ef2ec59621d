/**
 * Reading synthesized CloudFormation templates: what the execution policy and the permissions boundary are
 * computed from, so they follow the code instead of a hand-kept list.
 */

/** A synthesized CloudFormation template (what `Stage.synth()` writes). */
export interface CfnTemplate {
  readonly Resources?: Record<string, { readonly Type: string; readonly Properties?: Record<string, any> }>;
}

/** An IAM role a template creates, with what it may do and who it trusts. */
export interface TemplateRole {
  readonly logicalId: string;
  /** Its fixed name, if the template gives one; otherwise CloudFormation generates `<stack>-<logicalId>-<suffix>`. */
  readonly roleName?: string;
  /** Actions of its inline policies and of the `AWS::IAM::Policy` resources attached to it. */
  readonly actions: string[];
  /** AWS managed policies attached, as `service-role/Name`. */
  readonly managedPolicies: string[];
  /** Service principals it trusts, e.g. `lambda.amazonaws.com`. */
  readonly trustedServices: string[];
}

/** Every resource type the template creates. */
export function resourceTypes(template: CfnTemplate): string[] {
  return Object.values(template.Resources ?? {}).map((r) => r.Type);
}

const asArray = <T>(value: T | T[] | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

function statementActions(document: { Statement?: unknown } | undefined): string[] {
  return asArray(document?.Statement as Array<{ Action?: string | string[] }> | undefined).flatMap((s) => asArray(s.Action));
}

/** The roles of a template, with the policies that name them. */
export function templateRoles(template: CfnTemplate): TemplateRole[] {
  const resources = Object.entries(template.Resources ?? {});
  return resources
    .filter(([, r]) => r.Type === 'AWS::IAM::Role')
    .map(([logicalId, role]) => {
      const props = role.Properties ?? {};
      const attached = resources
        .filter(([, r]) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties?.Roles ?? []).includes(`"${logicalId}"`))
        .flatMap(([, r]) => statementActions(r.Properties?.PolicyDocument));
      const inline = asArray(props.Policies as Array<{ PolicyDocument: { Statement?: unknown } }> | undefined).flatMap((p) => statementActions(p.PolicyDocument));
      const managedPolicies = asArray(props.ManagedPolicyArns).map((arn) => {
        const match = /:iam::aws:policy\/(.+)$/.exec(JSON.stringify(arn).replace(/["\]}]+$/, ''));
        if (!match) throw new Error(`role ${logicalId}: managed policy ${JSON.stringify(arn)} is not an AWS managed policy`);
        return match[1];
      });
      const trustedServices = asArray(props.AssumeRolePolicyDocument?.Statement as Array<{ Principal?: { Service?: string | string[] } }>).flatMap((s) =>
        asArray(s.Principal?.Service),
      );
      if (props.RoleName !== undefined && typeof props.RoleName !== 'string') throw new Error(`role ${logicalId}: its name must be a plain string`);
      return { logicalId, roleName: props.RoleName, actions: [...attached, ...inline], managedPolicies, trustedServices };
    });
}
