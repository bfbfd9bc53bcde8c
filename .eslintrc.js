module.exports = require('@backstage/cli/config/eslint-factory')(__dirname, {
  // The development stack is plain Node with its own package.json and tests.
  ignorePatterns: ['dev/stack/'],
});
