/**
 * runnel/testing: run a pipeline's processors in-process with a virtual clock, no broker needed.
 * @module
 */
export { TestDriver, type TestDriverOptions, type TestInput, type TestOutput } from './test-driver.ts';
