/** `sandbox deploy --ref`: the temporary git worktree, against a real throwaway repository. */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CliContext, CliError } from '../cli/context';
import { textContext } from './cli-harness';
import { withRefCheckout } from '../cli/sandbox/checkout';

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.com', ...args], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

let root: string;
const out: string[] = [];
const ctx: CliContext = textContext((l) => out.push(l), (l) => out.push(`ERR ${l}`));

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'tollgate-repo-'));
  git(root, 'init', '-q', '-b', 'main');
  fs.writeFileSync(path.join(root, 'package-lock.json'), '{"lockfileVersion":3}');
  fs.writeFileSync(path.join(root, 'app.txt'), 'release candidate');
  git(root, 'add', '.');
  git(root, 'commit', '-q', '-m', 'rc');
  git(root, 'tag', 'v1.0.0-rc1');
  fs.writeFileSync(path.join(root, 'app.txt'), 'work in progress');
  git(root, 'commit', '-q', '-am', 'wip');
  fs.mkdirSync(path.join(root, 'node_modules'));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
beforeEach(() => {
  out.length = 0;
});

const worktrees = () => git(root, 'worktree', 'list', '--porcelain').split('\n').filter((l) => l.startsWith('worktree ')).length;

test('checks the ref out into a temporary worktree with this clone\'s node_modules, and removes it afterwards', async () => {
  let seen = '';
  const result = await withRefCheckout(
    ctx,
    'v1.0.0-rc1',
    async (dir) => {
      seen = dir;
      expect(fs.readFileSync(path.join(dir, 'app.txt'), 'utf8')).toBe('release candidate');
      expect(fs.realpathSync(path.join(dir, 'node_modules'))).toBe(fs.realpathSync(path.join(root, 'node_modules')));
      expect(worktrees()).toBe(2);
      return 42;
    },
    root,
  );
  expect(result).toBe(42);
  expect(fs.existsSync(seen)).toBe(false);
  expect(worktrees()).toBe(1);
  expect(out[0]).toMatch(/^Checking out v1\.0\.0-rc1 \([0-9a-f]{12}\) into .*tollgate-sandbox-/);
  expect(out[1]).toBe('  dependencies: same package-lock.json as this clone, reusing its node_modules');
});

test('the worktree is removed even when the deploy fails', async () => {
  await expect(withRefCheckout(ctx, 'HEAD~1', async () => Promise.reject(new Error('cdk failed')), root)).rejects.toThrow('cdk failed');
  expect(worktrees()).toBe(1);
});

test.each(['no-such-tag', '--upload-pack=evil'])('an unknown or option-like ref %j is one clear error, nothing checked out', async (ref) => {
  await expect(withRefCheckout(ctx, ref, async () => 0, root)).rejects.toThrow(
    new CliError(`--ref ${JSON.stringify(ref)} is not a commit, branch or tag of this clone (run git fetch if it is new)`),
  );
  expect(worktrees()).toBe(1);
});
