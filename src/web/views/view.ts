/** A page: its element, and what to stop (streams, timers, charts) when the user navigates away. */
export interface View {
  el: HTMLElement;
  destroy(): void;
}
