// Nothing left behind: temporary directories go away when the process ends,
// whether it exits, fails, or is stopped with Ctrl-C (SIGINT) or SIGTERM, and
// what was registered with stopOnInterrupt (servers, child processes) is
// stopped first. KEEP_TEMP=1 keeps the directories for debugging.
//
// Used by npm start, test:stack, e2e, the adoption test and the benchmarks.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// Every directory made here is named spectrocloud-<purpose>-XXXXXX in the
// system's temporary directory; CI looks for leftovers by that name.
const PREFIX = 'spectrocloud-';

const keep = process.env.KEEP_TEMP === '1';
const directories = new Set<string>();
const stops = new Set<() => Promise<void>>();
let handlersInstalled = false;

export function createTemporaryDirectory(purpose: string): string {
  installHandlers();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${PREFIX}${purpose}-`));
  directories.add(dir);
  return dir;
}

export function removeTemporaryDirectory(dir: string): void {
  if (!directories.delete(dir)) return;
  if (keep) {
    process.stderr.write(`KEEP_TEMP=1: kept ${dir}\n`);
    return;
  }
  fs.rmSync(dir, { recursive: true, force: true });
}

/**
 * Has `stop` run when the process is interrupted. Returns `stop` made to run
 * at most once, which, called earlier, takes it off that list. Stops run
 * newest first, then the directories are removed.
 */
export function stopOnInterrupt(stop: () => Promise<void>): () => Promise<void> {
  installHandlers();
  let stopping: Promise<void> | undefined;
  const stopOnce = () => {
    stopping ??= (async () => {
      stops.delete(stopOnce);
      await stop();
    })();
    return stopping;
  };
  stops.add(stopOnce);
  return stopOnce;
}

function removeAll() {
  for (const dir of [...directories]) removeTemporaryDirectory(dir);
}

// A terminal sends Ctrl-C to every process of its foreground group, and npm
// passes it on to its script as well: signals this close together are one press.
const ONE_PRESS_MS = 100;

function installHandlers() {
  if (handlersInstalled) return;
  handlersInstalled = true;
  // Also what a second Ctrl-C ends with: process.exit runs the 'exit'
  // listeners, which kill what still runs (processes.ts) and remove the directories.
  process.on('exit', removeAll);
  const firstSignal: { at?: number } = {};
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    // process.on, not once: a second signal must not end this process with
    // its children still running, in process groups of their own.
    process.on(signal, async () => {
      if (firstSignal.at !== undefined) {
        if (Date.now() - firstSignal.at > ONE_PRESS_MS) process.exit(signal === 'SIGINT' ? 130 : 143);
        return;
      }
      firstSignal.at = Date.now();
      for (const stop of [...stops].reverse()) {
        await stop().catch(() => {});
      }
      removeAll();
      // Die of the signal, as if nothing had been handled, so shells and npm
      // see an interrupted command.
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    });
  }
}
