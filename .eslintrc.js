module.exports = require('@backstage/cli/config/eslint-factory')(__dirname, {
  overrides: [
    {
      // The Node programs run with tsx: the development stack, which has its
      // own package.json (so the root one cannot vouch for its imports), and
      // the benchmarks.
      files: ['dev/stack/**', 'bench/**'],
      rules: {
        'no-console': 'off',
      },
    },
    {
      files: ['dev/stack/**'],
      rules: {
        '@backstage/no-undeclared-imports': 'off',
      },
    },
  ],
});
