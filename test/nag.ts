import * as cdk from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';

/** Runs cdk-nag's AwsSolutions pack over everything in the app; call before any stack is synthesized. */
export function addAwsSolutionsChecks(app: cdk.App): void {
  cdk.Aspects.of(app).add(new AwsSolutionsChecks());
}

/** Every unsuppressed AwsSolutions finding (error or warning) on a stack, as `path: message` lines. */
export function awsSolutionsFindings(stack: cdk.Stack): string[] {
  const annotations = Annotations.fromStack(stack);
  const pattern = Match.stringLikeRegexp('AwsSolutions-.*');
  return [...annotations.findError('*', pattern), ...annotations.findWarning('*', pattern)].map(
    (f) => `${f.id}: ${String(f.entry.data).split('\n')[0]}`,
  );
}
