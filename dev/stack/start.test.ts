// npm start as a user runs it: it prints where to go, serves the app and the
// backend, and stops everything, removing its temporary directory, whether a
// terminal sends Ctrl-C (to the whole process group, twice when the user is
// impatient) or a process manager sends SIGTERM and SIGKILL a few seconds later.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { COMPONENT, DEMO_USERS } from '../lib/demo.ts';

const rootDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const APP_PORT = 3500;
const BACKEND_PORT = 7500;
const appUrl = `http://127.0.0.1:${APP_PORT}`;
const backendUrl = `http://127.0.0.1:${BACKEND_PORT}`;

/** Starts `npm start` as the leader of a process group, as a terminal's foreground job is. */
async function npmStart() {
  const child = spawn('npm', ['start'], {
    cwd: rootDir,
    env: { ...process.env, APP_PORT: String(APP_PORT), BACKEND_PORT: String(BACKEND_PORT), KEEP_TEMP: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  const exited = once(child, 'exit');
  const ready = new Promise<void>(resolve => {
    const read = (chunk: Buffer) => {
      output += chunk;
      if (output.includes('Press Ctrl-C to stop.')) resolve();
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
  });
  await Promise.race([ready, exited.then(() => assert.fail(`npm start ended before it was ready:\n${output}`))]);
  const workDir = /^Logs: +(\S+)/m.exec(output)?.[1];
  assert.ok(workDir && fs.existsSync(workDir), output);
  const toGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // every process of the group has ended already
    }
  };
  return { output: () => output, workDir, toGroup, exited };
}

/** The processes whose command line names `dir`: what npm start started there. */
function processesIn(dir: string): string[] {
  return fs.readdirSync('/proc').filter(pid => {
    try {
      return /^\d+$/.test(pid) && fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dir);
    } catch {
      return false;
    }
  });
}

async function assertNothingLeft(workDir: string, output: string) {
  // Within a few seconds of the last signal.
  for (let i = 0; i < 20 && (fs.existsSync(workDir) || processesIn(workDir).length); i++) await sleep(250);
  assert.deepEqual(processesIn(workDir), [], `processes left running:\n${output}`);
  assert.equal(fs.existsSync(workDir), false, `${workDir} is left behind`);
  await assert.rejects(fetch(appUrl), 'the app is stopped');
  await assert.rejects(fetch(backendUrl), 'the backend is stopped');
}

describe('npm start', { timeout: 600_000 }, () => {
  it('prints the URLs, serves the app, and Ctrl-C pressed twice stops everything', async () => {
    const { output, workDir, toGroup, exited } = await npmStart();
    try {
      assert.ok(output().includes(`Open ${appUrl}/catalog/default/component/${COMPONENT}/kubernetes`), output());
      for (const user of DEMO_USERS) assert.ok(output().includes(user.email), output());
      assert.match(output(), /^Audit log: +\S+/m);
      const app = await fetch(appUrl);
      assert.equal(app.status, 200);
      assert.match(await app.text(), /<html/i);
      assert.equal((await fetch(`${backendUrl}/.backstage/health/v1/readiness`)).status, 200);
      assert.ok(processesIn(workDir).length > 0, 'the backend and the app run from the temporary directory');

      toGroup('SIGINT');
      await sleep(200);
      toGroup('SIGINT');
      await exited;
      assert.ok(output().includes('Stopping the development environment...'));
      await assertNothingLeft(workDir, output());
    } finally {
      if (fs.existsSync(workDir)) toGroup('SIGKILL');
    }
  });

  it('stops everything on SIGTERM before the SIGKILL that follows 3 s later', async () => {
    const { output, workDir, toGroup } = await npmStart();
    toGroup('SIGTERM');
    await sleep(3000);
    toGroup('SIGKILL');
    await assertNothingLeft(workDir, output());
  });
});
