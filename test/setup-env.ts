/**
 * Template tests skip esbuild bundling (`aws:cdk:bundling-stacks: []`): they assert on templates, and
 * bundling every function of every app they build cost more than half the suite's time. test/app.test.ts
 * runs the real app in a child process with its own context, so bundling itself is still exercised.
 */
process.env.CDK_CONTEXT_JSON = JSON.stringify({ 'aws:cdk:bundling-stacks': [] });

/**
 * The run prints only what fails. On Node 20 every suite that builds an AWS SDK client got the SDK's nine-line
 * notice that its releases after January 2027 need Node 22 (the CLI turns it off the same way, cli/main.ts); the
 * switch silences that notice alone.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

/**
 * cdk-nag's EventBusOpenAccess rule (cdk-nag 2.x) reads `CfnEventBusPolicy#principal`, which aws-cdk-lib has
 * deprecated, so every nag run printed a jsii deprecation warning with a fifteen-line stack about cdk-nag's code,
 * not ours. Drop exactly that message; a deprecated API our own code uses still prints (JSII_DEPRECATED stays
 * `warn`), because that one we can and should fix.
 */
const NOT_OURS = ['aws-cdk-lib.aws_events.CfnEventBusPolicy#principal is deprecated'];
const warn = console.warn.bind(console);
console.warn = (...args: unknown[]) => {
  if (args[0] === '[WARNING]' && NOT_OURS.some((m) => String(args[1]).startsWith(m))) return;
  warn(...args);
};
