// Child processes of the development stack and the adoption test: each runs
// in a process group of its own with its output in a log file, and every
// group still running is stopped when the program is interrupted.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';

import { PieceError } from './errors.ts';
import { HOST } from './loopback.ts';
import { stopOnInterrupt } from './temporaryDirectory.ts';

const running = new Set<ChildProcess>();

/** Stops every process group started here that still runs. */
export async function stopAllProcesses(): Promise<void> {
  await Promise.all([...running].map(stopProcess));
}
stopOnInterrupt(stopAllProcesses);
// Ending before they were stopped (a second Ctrl-C, a failure): SIGKILL at once.
process.on('exit', () => {
  for (const child of running) killGroup(child, 'SIGKILL');
});

function killGroup(child: ChildProcess, signal: NodeJS.Signals) {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // the group is gone already
  }
}

export interface SpawnOptions {
  cwd: string;
  /** The whole environment of the child. */
  env: NodeJS.ProcessEnv;
  logFile: string;
}

export function spawnLogged(command: string, args: string[], { cwd, env, logFile }: SpawnOptions): ChildProcess {
  const out = fs.openSync(logFile, 'a');
  fs.writeSync(out, `\n$ ${[command, ...args].join(' ')}   (in ${cwd})\n`);
  // A process group of its own, so stopping it also stops its children.
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
    throw new PieceError(`\`${[command, ...args].join(' ')}\``, `${how}; last lines of ${options.logFile}:\n${tail(options.logFile)}`);
  }
}

/**
 * SIGTERM to the child's group, SIGKILL after 2 s (process managers send
 * theirs a few seconds after SIGTERM) or once its leader is gone.
 */
export function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise(resolve => {
    // Dev servers spawn workers that may outlive a polite request.
    const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 2000);
    child.once('exit', () => {
      clearTimeout(timer);
      // Whatever the group's leader left behind goes too.
      killGroup(child, 'SIGKILL');
      resolve();
    });
    killGroup(child, 'SIGTERM');
  });
}

/** Fails, naming `variable` to move it, when `port` on the loopback address is taken. */
export function assertPortFree(port: number, piece: string, variable: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(new PieceError(piece, `port ${port} on ${HOST} is not free (${error.code}); stop what uses it or set ${variable}`)),
    );
    server.listen(port, HOST, () => server.close(() => resolve()));
  });
}

/** Calls `ready` every 500 ms until it returns true; false after the deadline. */
export async function poll(ready: () => Promise<boolean>, { timeoutMs, beforeEach = () => {} }: { timeoutMs: number; beforeEach?: () => void }): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    beforeEach();
    if (await ready().catch(() => false)) return true;
    await new Promise(resolve => setTimeout(resolve, 500));
  }
  return false;
}

/**
 * Polls `url` until it answers 2xx; fails early when `child` exits or its log
 * shows `failedWhen` (a process that failed to start may still be running).
 */
export async function waitForHttp(
  url: string,
  { piece, child, timeoutMs, logFile, failedWhen }: { piece: string; child: ChildProcess; timeoutMs: number; logFile: string; failedWhen?: RegExp },
): Promise<void> {
  const ready = await poll(async () => (await fetch(url, { signal: AbortSignal.timeout(5000) })).ok, {
    timeoutMs,
    beforeEach: () => {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new PieceError(piece, `exited (${child.exitCode ?? child.signalCode}) before it answered at ${url}; last lines of ${logFile}:\n${tail(logFile)}`);
      }
      const failure = failedWhen && fs.readFileSync(logFile, 'utf8').match(failedWhen);
      if (failure) throw new PieceError(piece, `${failure[0]}; see ${logFile}`);
    },
  });
  if (!ready) {
    throw new PieceError(piece, `did not answer at ${url} within ${timeoutMs / 1000} s; last lines of ${logFile}:\n${tail(logFile)}`);
  }
}

export function tail(file: string, lines = 25): string {
  if (!fs.existsSync(file)) return '(no log)';
  return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}
