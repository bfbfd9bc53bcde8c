import type { FullConfig } from '@playwright/test';

export default function printArtifacts(config: FullConfig) {
  console.log(`Screenshots, and traces of failures: ${config.projects[0].outputDir}`);
}
