/**
 * Template tests skip esbuild bundling (`aws:cdk:bundling-stacks: []`): they assert on templates, and
 * bundling every function of every app they build cost more than half the suite's time. test/app.test.ts
 * runs the real app in a child process with its own context, so bundling itself is still exercised.
 */
process.env.CDK_CONTEXT_JSON = JSON.stringify({ 'aws:cdk:bundling-stacks': [] });
