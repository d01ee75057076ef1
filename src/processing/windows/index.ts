export {
  type WindowOperatorOptions,
  type WindowOutput,
  windowOperator,
  windowStoreName,
} from './window-operator.ts';
export {
  hopping,
  hoppingCount,
  session,
  sliding,
  slidingCount,
  tumbling,
  tumblingCount,
  type WindowSpec,
} from './window-spec.ts';
