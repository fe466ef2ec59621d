/**
 * The template suites of the service stages, and the app's entry point, run in one jest module registry: every
 * jest test file loads aws-cdk-lib afresh (seconds each), so the suites under test/templates/ are grouped into
 * two such files, balanced by measured time across the two workers. Each suite stays a module of its own.
 */
import './templates/service-stack.tests';
import './templates/canary-deployment.tests';
import './templates/canary-exposure.tests';
import './templates/tile-server.tests';
import './templates/synthetic-checks.tests';
import './templates/app.tests';
import './templates/operator-role.tests';
import './templates/prod-waves.tests';
import './templates/release-recorder.tests';
