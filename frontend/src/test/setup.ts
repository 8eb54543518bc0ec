import '@testing-library/jest-dom/vitest';

// jsdom has no ResizeObserver; Chakra's auto-growing textarea and popovers use it
if (!('ResizeObserver' in globalThis)) {
  globalThis.ResizeObserver = class {
    observe() {}
    unobserve() {}
    disconnect() {}
  };
}
