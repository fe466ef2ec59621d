/**
 * The template suites of the pipeline account and of the sandbox account, run in one jest module registry: every
 * jest test file loads aws-cdk-lib afresh (seconds each), so the suites under test/templates/ are grouped into
 * two such files, balanced by measured time across the two workers. Each suite stays a module of its own.
 */
import './templates/pipeline-stack.tests';
import './templates/bake-gate-template.tests';
import './templates/pipeline-manifest.tests';
import './templates/pipeline-pinning.tests';
import './templates/execution-policy.tests';
import './templates/assembly-invariants.tests';
import './templates/sandbox-cleaner-stack.tests';
import './templates/cli-plan.tests';
import './templates/sandbox.tests';
import './templates/pipeline-sandbox.tests';
import './templates/gate-check-pipeline.tests';
import './templates/stage-conditions.tests';
import './templates/replacement-guard.tests';
// The constructs package's own suite, against a toy stage: a module too, so that it shares this group's aws-cdk-lib.
import '../packages/tollgate-constructs/test/gated-release.tests';
