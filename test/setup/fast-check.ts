/**
 * Loaded before every test file (`npm test` passes `--import`). A failing property shrinks its
 * counterexample, and a heavy property (thousands of values, a sketch rebuilt per run) can shrink for
 * hours: a CI run spent 88 of its 90 minutes shrinking one. Past two minutes a property stops: it fails
 * with the counterexample it has (and the seed to replay it), or fails for having run out of time.
 */
import fc from 'fast-check';

// The plugin form (`plugins: [fc.interruptAfterTimeLimit(…)]`) is not a global parameter in fast-check 4.
fc.configureGlobal({ interruptAfterTimeLimit: 120_000, markInterruptAsFailure: true });
