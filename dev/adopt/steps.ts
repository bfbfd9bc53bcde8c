// Prints each step of the adoption test and of the bench as it starts and
// ends, with its time; summary() tabulates all step times.
const write = (line: string) => process.stdout.write(`${line}\n`);

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export class Steps {
  readonly #startedAt = Date.now();
  readonly #times: { name: string; ms: number; ok: boolean }[] = [];

  async run<T>(name: string, step: () => T | Promise<T>): Promise<T> {
    const startedAt = Date.now();
    write(`▸ ${name}   (at ${seconds(startedAt - this.#startedAt)})`);
    try {
      const result = await step();
      this.#times.push({ name, ms: Date.now() - startedAt, ok: true });
      write(`✓ ${name}   ${seconds(Date.now() - startedAt)}`);
      return result;
    } catch (error) {
      this.#times.push({ name, ms: Date.now() - startedAt, ok: false });
      write(`✗ ${name}   ${seconds(Date.now() - startedAt)}`);
      throw error;
    }
  }

  /** A detail line under the current step. */
  note(line: string): void {
    write(`    ${line}`);
  }

  summary(): string {
    const width = Math.max(...this.#times.map(t => t.name.length));
    return [
      'Step times:',
      ...this.#times.map(t => `  ${t.ok ? '✓' : '✗'} ${t.name.padEnd(width)}  ${seconds(t.ms).padStart(8)}`),
      `  total ${seconds(Date.now() - this.#startedAt)}`,
    ].join('\n');
  }
}
