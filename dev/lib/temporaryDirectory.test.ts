// Nothing left behind: a process that made temporary directories removes them
// when it exits or is stopped with Ctrl-C or SIGTERM, after stopping what it
// registered, unless KEEP_TEMP=1 asks to keep them.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { once } from 'node:events';
import { describe, it } from 'node:test';

const moduleUrl = new URL('./temporaryDirectory.ts', import.meta.url).href;

/**
 * Runs a process that makes a temporary directory, registers a stop, prints
 * the directory and then waits (or exits, with `exitAtOnce`). Sends it
 * `signal` once it has printed, and reports how it ended.
 */
async function runChild({ signal, twice = false, exitAtOnce = false, env = {} }: { signal?: NodeJS.Signals; twice?: boolean; exitAtOnce?: boolean; env?: Record<string, string> }) {
  const program = `
    import { createTemporaryDirectory, stopOnInterrupt } from ${JSON.stringify(moduleUrl)};
    const dir = createTemporaryDirectory('cleanup-test');
    stopOnInterrupt(async () => {
      await new Promise(resolve => setTimeout(resolve, ${JSON.stringify(1500)}));
      console.log('stopped');
    });
    console.log(dir);
    ${exitAtOnce ? '' : 'setInterval(() => {}, 1000);'}
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '--eval', program], {
    env: { ...process.env, KEEP_TEMP: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', chunk => {
    stderr += chunk;
  });
  const printed = new Promise<string>(resolve => {
    child.stdout.on('data', chunk => {
      stdout += chunk;
      if (stdout.includes('\n')) resolve(stdout.split('\n')[0]);
    });
  });
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const dir = await Promise.race([printed, exited.then(() => assert.fail(`the child ended before printing: ${stderr}`))]);
  assert.match(dir, /spectrocloud-cleanup-test-/);
  if (signal) {
    assert.ok(fs.existsSync(dir), 'the directory exists while the process runs');
    child.kill(signal);
    if (twice) setTimeout(() => child.kill(signal), 1000);
  }
  const [code, endedBy] = await exited;
  return { dir, code, endedBy, stdout, stderr };
}

describe('temporary directories', () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`are removed on ${signal}, after what was registered has stopped; the process still ends by ${signal}`, async () => {
      const { dir, endedBy, stdout } = await runChild({ signal });
      assert.equal(endedBy, signal);
      assert.match(stdout, /\nstopped\n/);
      assert.equal(fs.existsSync(dir), false);
    });
  }

  it('are removed at once when a second Ctrl-C comes while it stops', async () => {
    const { dir, code, stdout } = await runChild({ signal: 'SIGINT', twice: true });
    assert.equal(code, 130);
    assert.doesNotMatch(stdout, /stopped/);
    assert.equal(fs.existsSync(dir), false);
  });

  it('are removed when the process exits by itself', async () => {
    const { dir, code } = await runChild({ exitAtOnce: true });
    assert.equal(code, 0);
    assert.equal(fs.existsSync(dir), false);
  });

  it('are kept with KEEP_TEMP=1, which says where', async () => {
    const { dir, endedBy, stderr } = await runChild({ signal: 'SIGINT', env: { KEEP_TEMP: '1' } });
    try {
      assert.equal(endedBy, 'SIGINT');
      assert.ok(fs.existsSync(dir));
      assert.ok(stderr.includes(`KEEP_TEMP=1: kept ${dir}`));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

});
