// Prints one plain closing line ("tests: N passed, N failed, N skipped") that CI reads. When run by
// `npm test` (scripts/run.mjs sets TEST_SUMMARY_FILE), it also leaves the line in that file, and run.mjs
// prints it again as the very last line, after the stack has stopped.
const fs = require('node:fs');

class SummaryReporter {
  onRunComplete(_contexts, results) {
    const { numPassedTests, numFailedTests, numPendingTests, numTodoTests, numRuntimeErrorTestSuites } = results;
    const failed = numFailedTests + numRuntimeErrorTestSuites;
    const line = `tests: ${numPassedTests} passed, ${failed} failed, ${numPendingTests + numTodoTests} skipped`;
    process.stdout.write(`\n${line}\n`);
    if (process.env.TEST_SUMMARY_FILE) fs.writeFileSync(process.env.TEST_SUMMARY_FILE, `${line}\n`);
  }
}
module.exports = SummaryReporter;
