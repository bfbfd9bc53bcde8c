// npm start as a user runs it: it prints where to go, serves the app and the
// backend, and Ctrl-C stops everything and removes its temporary directory.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { COMPONENT, DEMO_USERS } from '../lib/demo.ts';

// Ports of their own, so this can run beside the other browser tests.
const APP_PORT = 3100;
const BACKEND_PORT = 7107;
const startScript = path.join(path.dirname(fileURLToPath(import.meta.url)), 'start.ts');

describe('npm start', { timeout: 420_000 }, () => {
  it('prints the URLs, serves the app, and leaves nothing behind on Ctrl-C', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', startScript], {
      env: { ...process.env, APP_PORT: String(APP_PORT), BACKEND_PORT: String(BACKEND_PORT), KEEP_TEMP: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', chunk => {
      output += chunk;
    });
    child.stderr.on('data', chunk => {
      output += chunk;
    });
    const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    try {
      const ready = new Promise<void>(resolve => {
        child.stdout.on('data', () => {
          if (output.includes('Press Ctrl-C to stop.')) resolve();
        });
      });
      await Promise.race([ready, exited.then(() => assert.fail(`npm start ended before it was ready:\n${output}`))]);

      const appUrl = `http://127.0.0.1:${APP_PORT}`;
      assert.ok(output.includes(`Open ${appUrl}/catalog/default/component/${COMPONENT}/kubernetes`), output);
      for (const user of DEMO_USERS) assert.ok(output.includes(user.email), output);
      const workDir = /^Logs: +(\S+)/m.exec(output)?.[1];
      assert.ok(workDir && fs.existsSync(workDir), output);
      assert.ok(/^Audit log: +\S+/m.test(output), output);

      const app = await fetch(appUrl);
      assert.equal(app.status, 200);
      assert.match(await app.text(), /<html/i);
      assert.equal((await fetch(`http://127.0.0.1:${BACKEND_PORT}/.backstage/health/v1/readiness`)).status, 200);

      child.kill('SIGINT');
      const [, signal] = await exited;
      assert.equal(signal, 'SIGINT');
      assert.ok(output.includes('Stopping the development environment...'));
      assert.equal(fs.existsSync(workDir), false, `${workDir} is left behind`);
      await assert.rejects(fetch(appUrl), 'the app is stopped');
      await assert.rejects(fetch(`http://127.0.0.1:${BACKEND_PORT}`), 'the backend is stopped');
    } finally {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
    }
  });
});
