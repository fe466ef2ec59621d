import * as cdk from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';

/** Runs cdk-nag's AwsSolutions pack over everything in the app; call before any stack is synthesized. */
export function addAwsSolutionsChecks(app: cdk.App): void {
  cdk.Aspects.of(app).add(new AwsSolutionsChecks());
}

/**
 * The app synthesized afresh, as `Annotations.fromStack` does on every call, but once per app while no construct
 * is added: that forced synthesis of the whole app cost a second per call, and suites ask for every stack of it.
 */
const findingsAssemblies = new WeakMap<cdk.Stage, { constructs: number; assembly: cdk.cx_api.CloudAssembly }>();

function freshAssembly(root: cdk.Stage): cdk.cx_api.CloudAssembly {
  const constructs = root.node.findAll().length;
  let cached = findingsAssemblies.get(root);
  if (cached?.constructs !== constructs) {
    cached = { constructs, assembly: root.synth({ force: true }) };
    findingsAssemblies.set(root, cached);
  }
  return cached.assembly;
}

/**
 * Every unsuppressed AwsSolutions finding (error or warning) on a stack, as `path: message` lines: what
 * `Annotations.fromStack(stack)`'s `findError` and `findWarning` return for an AwsSolutions message, in that order.
 */
export function awsSolutionsFindings(stack: cdk.Stack): string[] {
  const root = stack.node.root;
  if (!cdk.Stage.isStage(root)) throw new Error(`${stack.node.path} is in no app`);
  const messages = freshAssembly(root).getStackArtifact(stack.artifactId).messages;
  const findings = (level: string) => messages.filter((m) => m.level === level && /AwsSolutions-/.test(String(m.entry.data)));
  return [...findings('error'), ...findings('warning')].map((f) => `${f.id}: ${String(f.entry.data).split('\n')[0]}`);
}
