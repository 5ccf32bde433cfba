#!/usr/bin/env node
// The one test command: `npm test` runs every project, `npm run test:unit` and `npm run test:int`
// pick some; any other argument goes on to `vitest run` (`npm test -- test/unit/foo.spec.ts`).
//  1. installs the Debian packages the tests need (as root, with apt-get; else says what to install),
//  2. installs node_modules if missing and builds dist/ if missing or older than src/,
//  3. runs vitest with the console reporter and a JSON report in test-results/,
//  4. prints, as its very last line, `N passed, N failed` (`, N skipped` when some were skipped).
// Exit code: 0 when nothing failed and something passed; 1 otherwise; 2 when packages are missing
// and this process cannot install them.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { countResults, exitCodeFor, formatCounts } from './count-results.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const reportFile = join('test-results', 'vitest.json');

/**
 * Debian packages the tests need, each with the binary that shows it is installed: NATS, an FTP
 * server, sshd for SFTP, Dovecot for POP3, Chromium for the console, and iproute2 for the
 * network-namespace partition test.
 * @type {{ pkg: string, bin: string }[]}
 */
const SYSTEM_PACKAGES = [
  { pkg: 'nats-server', bin: 'nats-server' },
  { pkg: 'pure-ftpd', bin: 'pure-ftpd' },
  { pkg: 'openssh-server', bin: 'sshd' },
  { pkg: 'openssh-client', bin: 'ssh-keygen' },
  { pkg: 'openssl', bin: 'openssl' },
  { pkg: 'dovecot-core', bin: 'dovecot' },
  { pkg: 'dovecot-pop3d', bin: '/usr/lib/dovecot/pop3' },
  { pkg: 'chromium', bin: 'chromium' },
  { pkg: 'iproute2', bin: 'ip' },
];

/** Runs a command in the project folder with inherited output; returns its exit code. */
function run(command, args, env = process.env) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env });
  if (result.error) console.error(`${command}: ${result.error.message}`);
  return result.status ?? 1;
}

/** Whether `bin` is an executable file on PATH or in the sbin folders (sshd, pure-ftpd live there). */
function hasBinary(bin) {
  if (isAbsolute(bin)) return existsSync(bin);
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/local/sbin', '/usr/sbin', '/sbin'];
  return dirs.some((dir) => dir !== '' && existsSync(join(dir, bin)));
}

/** Prints the closing line and sets the exit code; nothing may be printed after this. */
function finish(counts) {
  console.log(formatCounts(counts));
  process.exitCode = exitCodeFor(counts);
}

/** Fails the whole run before any test ran. */
function failSetup(message) {
  console.error(`test setup failed: ${message}`);
  finish({ passed: 0, failed: 1, skipped: 0 });
}

/** @returns {boolean} whether the run can go on */
function ensureSystemPackages() {
  const missing = SYSTEM_PACKAGES.filter(({ bin }) => !hasBinary(bin));
  if (missing.length === 0) return true;
  const pkgs = [...new Set(missing.map(({ pkg }) => pkg))];
  const install = ['install', '-y', '--no-install-recommends', ...pkgs];
  if (process.getuid?.() !== 0 || !hasBinary('apt-get')) {
    console.error(`The tests need Debian packages that are not installed: ${pkgs.join(' ')}`);
    console.error(`Install them (as root) with:\n  apt-get update && apt-get ${install.join(' ')}`);
    process.exit(2);
  }
  console.log(`Installing Debian packages: ${pkgs.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (run('apt-get', ['update'], env) !== 0 || run('apt-get', install, env) !== 0) {
    failSetup(`apt-get ${install.join(' ')} failed`);
    return false;
  }
  const stillMissing = missing.filter(({ bin }) => !hasBinary(bin));
  if (stillMissing.length > 0) {
    failSetup(`installed, but still not found: ${stillMissing.map(({ bin }) => bin).join(' ')}`);
    return false;
  }
  return true;
}

/** Newest modification time of the files under `dir`, in ms. */
function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(path));
    else if (entry.isFile()) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/** @returns {boolean} whether the run can go on */
function ensureNodeModulesAndBuild() {
  const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs');
  if (!existsSync(vitest)) {
    console.log('node_modules is missing: npm ci');
    // npm ci can refuse a lock file that lacks optional packages the registry does not serve
    // (npm/cli#9846); npm install then installs from the same lock file.
    if (run('npm', ['ci']) !== 0 && !existsSync(vitest)) run('npm', ['install', '--no-save']);
    if (!existsSync(vitest)) {
      failSetup('npm ci / npm install did not install vitest');
      return false;
    }
  }
  // Tests that spawn the CLI use the built dist/cli/main.js.
  const built = join(root, 'dist', 'cli', 'main.js');
  const sources = Math.max(
    newestMtime(join(root, 'src')),
    statSync(join(root, 'tsconfig.json')).mtimeMs,
    statSync(join(root, 'tsconfig.build.json')).mtimeMs,
  );
  if (!existsSync(built) || statSync(built).mtimeMs < sources) {
    console.log('dist/ is missing or older than src/: npm run build');
    // tsc still writes its output on type errors; `npm run check` reports them, the tests go on.
    if (run('npm', ['run', 'build']) !== 0)
      console.error('npm run build reported errors (see above); running the tests anyway');
  }
  return true;
}

function runTests(args) {
  rmSync(join(root, reportFile), { force: true });
  const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs');
  const status = run(process.execPath, [
    vitest,
    'run',
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${reportFile}`,
    ...args,
  ]);
  let report;
  try {
    report = JSON.parse(readFileSync(join(root, reportFile), 'utf8'));
  } catch {
    console.error(`vitest exited with ${status} and wrote no readable ${reportFile}`);
    finish({ passed: 0, failed: 1, skipped: 0 });
    return;
  }
  const counts = countResults(report);
  if (status !== 0 && counts.failed === 0) {
    // An error outside any test (an unhandled rejection, no test file found…): not a pass.
    console.error(`vitest exited with ${status} although no test failed: counted as one failure`);
    counts.failed = 1;
  }
  finish(counts);
}

if (ensureSystemPackages() && ensureNodeModulesAndBuild()) runTests(process.argv.slice(2));
