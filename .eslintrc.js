module.exports = require('@backstage/cli/config/eslint-factory')(__dirname, {
  overrides: [
    {
      // The development stack: Node programs run with tsx, with a package.json
      // of their own (so the root one cannot vouch for their imports).
      files: ['dev/stack/**'],
      rules: {
        'no-console': 'off',
        '@backstage/no-undeclared-imports': 'off',
      },
    },
  ],
});
