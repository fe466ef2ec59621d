/**
 * Which run-time controls the bake gate believes. Anyone in the deployment account with `ssm:PutParameter`
 * could write a control; only the operator role's sessions (see `src/pipeline/operator-role.ts`) should be able
 * to LOOSEN what the gate does. So a control that loosens counts only when the operator role last wrote it, as
 * SSM's `LastModifiedUser` says (DescribeParameters; GetParametersByPath does not return it):
 *
 * - a halt flag with `halted: true` always counts: restricting is always allowed;
 * - a halt flag written by anyone else holds, whatever it says, until `tollgate resume` rewrites it;
 * - a freezes parameter written by anyone else holds the calendar closed until `tollgate freeze` rewrites it;
 * - an override written by anyone else is ignored, and the calendar's reasons name it.
 *
 * Pure: parameters and their last modifiers in, the controls the gate acts on out. The core sees an already
 * judged halt; the calendar (`release-window.ts`) sees only trusted overrides and freezes, plus the
 * judgements under {@link judgementName}.
 */
import { freezesParameterName, Halt, haltParameterName, isOperatorSession, overrideParameterName, parseHalt } from '../../domain/pipeline-controls';

/** One parameter under `/tollgate/<pipelineName>/`, as GetParametersByPath and DescribeParameters report it. */
export interface ControlParameter {
  readonly name: string;
  readonly value: string;
  /** The version GetParametersByPath read. */
  readonly version?: number;
  /** DescribeParameters' metadata of the parameter; absent when DescribeParameters did not list it. */
  readonly metadata?: {
    /** `ParameterMetadata.ARN`: its account is where the operator role must be. */
    readonly arn?: string;
    /** `ParameterMetadata.LastModifiedUser`. */
    readonly modifiedBy?: string;
    readonly modifiedAt?: Date;
    /** The version DescribeParameters described: a different one means the parameter changed between the calls. */
    readonly version?: number;
  };
}

/** The controls as the gate acts on them. */
export interface JudgedControls {
  /** The halt flag, already judged: one written outside the operator role is a halt. */
  readonly halt: Halt | undefined;
  /**
   * The trusted control parameters by name (freezes, overrides), and under {@link judgementName} of a parameter
   * that was not trusted, why.
   */
  readonly parameters: ReadonlyMap<string, string>;
  /** Each control parameter's last modifier (SSM's `LastModifiedUser`), by name; absent when SSM did not say. */
  readonly modifiedBy: ReadonlyMap<string, string>;
}

/**
 * Where the judgement of an untrusted parameter is kept in {@link JudgedControls.parameters}. `#` cannot occur
 * in an SSM parameter name (`a-zA-Z0-9_.-` and `/`), so this never names a real parameter.
 */
export function judgementName(parameterName: string): string {
  return `${parameterName}#untrusted`;
}

export interface OperatorIdentity {
  readonly pipelineName: string;
  /** The operator role's name, e.g. `Tollgate-Operator`. */
  readonly operatorRoleName: string;
}

/** The account in an ARN, or undefined. */
function accountOf(arn: string | undefined): string | undefined {
  const account = arn?.split(':')[4];
  return account && /^\d{12}$/.test(account) ? account : undefined;
}

/** Whether the operator role's session wrote the value that was read. */
function writtenByOperator(parameter: ControlParameter, operator: OperatorIdentity): boolean {
  const { metadata } = parameter;
  if (!metadata) return false;
  // Changed between GetParametersByPath and DescribeParameters: who wrote the value read is unknown.
  if (parameter.version !== undefined && metadata.version !== undefined && parameter.version !== metadata.version) return false;
  const account = accountOf(metadata.arn);
  return account !== undefined && isOperatorSession(metadata.modifiedBy, account, operator.operatorRoleName);
}

function writer(parameter: ControlParameter): string {
  return parameter.metadata?.modifiedBy ?? 'an unknown principal';
}

/**
 * Judges every control of the pipeline. Parameters under the path that are none of the controls are dropped.
 *
 * @throws ControlParseError when the halt flag cannot be read: the gate cannot decide.
 */
export function judgeControls(parameters: readonly ControlParameter[], operator: OperatorIdentity): JudgedControls {
  const { pipelineName } = operator;
  const haltName = haltParameterName(pipelineName);
  const freezesName = freezesParameterName(pipelineName);
  const overridePrefix = overrideParameterName(pipelineName, '');
  const trusted = new Map<string, string>();
  const modifiedBy = new Map<string, string>();
  let halt: Halt | undefined;

  for (const parameter of parameters) {
    const { name, value } = parameter;
    if (parameter.metadata?.modifiedBy) modifiedBy.set(name, parameter.metadata.modifiedBy);
    const byOperator = writtenByOperator(parameter, operator);
    if (name === haltName) {
      const read = parseHalt(name, value);
      halt =
        read.halted || byOperator
          ? read
          : {
              halted: true,
              by: writer(parameter),
              at: parameter.metadata?.modifiedAt?.toISOString() ?? read.at,
              reason: `halt flag written outside the operator role by ${writer(parameter)}: held until \`tollgate resume\``,
            };
    } else if (name === freezesName) {
      if (byOperator) trusted.set(name, value);
      else trusted.set(judgementName(name), `freezes parameter written outside the operator role by ${writer(parameter)}: held until \`tollgate freeze\` rewrites it`);
    } else if (name.startsWith(overridePrefix)) {
      const executionId = name.slice(overridePrefix.length);
      if (byOperator) trusted.set(name, value);
      else trusted.set(judgementName(name), `override of ${executionId} ignored: written by ${writer(parameter)} not the operator role`);
    }
  }
  return { halt, parameters: trusted, modifiedBy };
}
