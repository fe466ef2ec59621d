/**
 * `npm run bench`: runs every `bench/*.bench.ts` in turn, each printing its own numbers.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const dir = __dirname;
// The benches print numbers, not the AWS SDK's Node 20 notice (the switch its maintainers documented, as the CLI does).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
for (const file of readdirSync(dir).filter((f) => f.endsWith('.bench.ts')).sort()) {
  console.log(`\n## ${file}`);
  execFileSync(process.execPath, [require.resolve('tsx/cli'), join(dir, file)], { stdio: 'inherit' });
}
