// Child processes of the adoption test: each runs in a process group of its
// own with its output in a log file, and every group still running is
// stopped when the test ends, however it ends.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';

import { stopOnInterrupt } from '../stack/temporaryDirectory.ts';

/** A step's failure, with what to look at. */
export class AdoptionError extends Error {}

const running = new Set<ChildProcess>();

/** Stops every process group this test started; also runs on Ctrl-C. */
export const stopAllProcesses = stopOnInterrupt(async () => {
  await Promise.all([...running].map(stopProcess));
});

export interface SpawnOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  logFile: string;
}

export function spawnLogged(command: string, args: string[], { cwd, env, logFile }: SpawnOptions): ChildProcess {
  const out = fs.openSync(logFile, 'a');
  fs.writeSync(out, `\n$ ${[command, ...args].join(' ')}   (in ${cwd})\n`);
  const child = spawn(command, args, { cwd, env, stdio: ['ignore', out, out], detached: true });
  fs.closeSync(out);
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

/** Runs a command to its end; a non-zero exit fails with the log's last lines. */
export async function run(command: string, args: string[], options: SpawnOptions & { timeoutMs?: number }): Promise<void> {
  const child = spawnLogged(command, args, options);
  const timeoutMs = options.timeoutMs ?? 20 * 60_000;
  const timer = setTimeout(() => void stopProcess(child), timeoutMs);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>(resolve => {
    child.once('exit', (exitCode, exitSignal) => resolve([exitCode, exitSignal]));
    child.once('error', () => resolve([null, null]));
  });
  clearTimeout(timer);
  if (code !== 0) {
    const how = signal ? `was stopped (${signal}${signal === 'SIGTERM' ? `, over ${timeoutMs / 1000} s` : ''})` : `exited with ${code}`;
    throw new AdoptionError(`\`${[command, ...args].join(' ')}\` ${how}; last lines of ${options.logFile}:\n${tail(options.logFile)}`);
  }
}

export function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise(resolve => {
    const kill = (signal: NodeJS.Signals) => {
      try {
        process.kill(-child.pid!, signal);
      } catch {
        // the group is gone already
      }
    };
    // Dev servers spawn workers that may outlive a polite request.
    const timer = setTimeout(() => kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      // Whatever the group's leader left behind goes too.
      kill('SIGKILL');
      resolve();
    });
    kill('SIGTERM');
  });
}

/**
 * Polls `url` until it answers 2xx; fails early when `child` exits or its log
 * shows `failedWhen` (a process that failed to start may still be running).
 */
export async function waitForHttp(
  url: string,
  { piece, child, timeoutMs, logFile, failedWhen }: { piece: string; child: ChildProcess; timeoutMs: number; logFile: string; failedWhen?: RegExp },
) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new AdoptionError(`${piece} exited (${child.exitCode ?? child.signalCode}) before it answered at ${url}; last lines of ${logFile}:\n${tail(logFile)}`);
    }
    const failure = failedWhen && fs.readFileSync(logFile, 'utf8').match(failedWhen);
    if (failure) {
      throw new AdoptionError(`${piece} failed to start: ${failure[0]}; see ${logFile}`);
    }
    const ok = await fetch(url, { signal: AbortSignal.timeout(5000) })
      .then(response => response.ok)
      .catch(() => false);
    if (ok) return;
    await new Promise(resolve => setTimeout(resolve, 1000));
  }
  throw new AdoptionError(`${piece} did not answer at ${url} within ${timeoutMs / 1000} s; last lines of ${logFile}:\n${tail(logFile)}`);
}

export function tail(file: string, lines = 25): string {
  if (!fs.existsSync(file)) return '(no log)';
  return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}
