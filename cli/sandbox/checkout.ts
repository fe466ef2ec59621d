import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PROJECT_ROOT } from '../project';
import { CliContext, CliError } from '../context';
import { git, runAttached } from './process';

function sameFile(a: string, b: string): boolean {
  return fs.existsSync(a) && fs.existsSync(b) && fs.readFileSync(a).equals(fs.readFileSync(b));
}

/** The checkout needs the dependencies its own lock file pins: this clone's when they are the same, else `npm ci`. */
async function installDependencies(ctx: CliContext, root: string, dir: string): Promise<void> {
  if (sameFile(path.join(root, 'package-lock.json'), path.join(dir, 'package-lock.json'))) {
    fs.symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
    ctx.out('  dependencies: same package-lock.json as this clone, reusing its node_modules');
    return;
  }
  ctx.out('  dependencies: package-lock.json differs from this clone, running npm ci in the checkout');
  const code = await runAttached({ file: 'npm', args: ['ci', '--no-audit', '--no-fund'], cwd: dir, env: {} });
  if (code !== 0) throw new CliError(`npm ci in the checkout failed (exit ${code}); nothing was deployed`, 1);
}

/**
 * Runs `work` in a temporary `git worktree` of `ref` (any commit, branch or tag, e.g. a release candidate),
 * with its dependencies installed, and removes the worktree afterwards whatever happens.
 */
export async function withRefCheckout<T>(ctx: CliContext, ref: string, work: (dir: string) => Promise<T>, root = PROJECT_ROOT): Promise<T> {
  let commit: string;
  try {
    if (ref.startsWith('-')) throw new Error('looks like an option');
    commit = git(root, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  } catch {
    throw new CliError(`--ref ${JSON.stringify(ref)} is not a commit, branch or tag of this clone (run git fetch if it is new)`);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tollgate-sandbox-'));
  ctx.out(`Checking out ${ref} (${commit.slice(0, 12)}) into ${dir}`);
  git(root, ['worktree', 'add', '--detach', dir, commit]);
  try {
    await installDependencies(ctx, root, dir);
    return await work(dir);
  } finally {
    try {
      git(root, ['worktree', 'remove', '--force', dir]);
    } catch (err) {
      ctx.err(`tollgate: could not remove the temporary worktree ${dir}: ${(err as Error).message}; remove it with git worktree remove --force ${dir}`);
    }
  }
}
