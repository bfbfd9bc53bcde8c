import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from './projectRoot';

const SHELL_COMMANDS = new Set(['node', 'npm', 'npx', 'bash']);

function checkScript(prefix: string, name: string): string[] {
  const manifest = JSON.parse(fs.readFileSync(path.join(prefix, 'package.json'), 'utf8'));
  const script: string | undefined = manifest.scripts?.[name];
  if (!script) return [`${path.relative(projectRoot, prefix) || '.'}/package.json has no script '${name}'`];
  const problems: string[] = [];
  for (const command of script.split(/&&|\|\|/)) {
    const [program, ...args] = command.trim().split(/\s+/);
    if (!SHELL_COMMANDS.has(program) && !fs.existsSync(path.join(prefix, 'node_modules/.bin', program))) {
      problems.push(`script '${name}' runs '${program}', which is not installed`);
    }
    for (const arg of args.filter(a => !a.startsWith('-') && /\.[cm]?[jt]sx?$/.test(a))) {
      if (!fs.existsSync(path.join(prefix, arg))) problems.push(`script '${name}' runs '${arg}', which does not exist`);
    }
  }
  return problems;
}

/**
 * Checks a README command line of `npm` commands against the project as it
 * is: `npm ci` runs (as a dry run, so a lockfile out of step with its
 * package.json fails), and each script it starts exists and runs programs
 * and files that exist. Returns the problems found.
 */
export function checkNpmCommandLine(line: string): string[] {
  const problems: string[] = [];
  for (const part of line.split('&&').map(p => p.trim())) {
    const words = part.split(/\s+/);
    if (words[0] !== 'npm') {
      problems.push(`'${part}' is not an npm command`);
      continue;
    }
    const prefixAt = words.indexOf('--prefix');
    const prefix = path.join(projectRoot, prefixAt > 0 ? words[prefixAt + 1] : '.');
    const [, command, scriptName] = words;
    if (command === 'ci') {
      try {
        execFileSync('npm', ['ci', '--dry-run', '--ignore-scripts', '--no-audit', '--no-fund', '--prefix', prefix], {
          stdio: 'pipe',
        });
      } catch (error) {
        problems.push(`'${part}' fails: ${(error as { stderr?: Buffer }).stderr?.toString().trim()}`);
      }
    } else if (['start', 'test', 'run'].includes(command)) {
      problems.push(...checkScript(prefix, command === 'run' ? scriptName : command));
    } else {
      problems.push(`'${part}' is no npm command this check knows`);
    }
  }
  return problems;
}
