/**
 * All of the widget's CSS. It lives in the shadow root, so the host page's rules cannot reach
 * in and ours cannot leak out; `:host` resets what the page would otherwise pass down by
 * inheritance (fonts, colours, line height). Pixel units only: the page may change rem.
 */
export const WIDGET_CSS = `
:host {
  all: initial !important;
  display: contents !important;
}
*, *::before, *::after { box-sizing: border-box; }
.cc-root {
  --cc-text: #1d2433;
  --cc-muted: #5a6473;
  --cc-line: #e3e7ed;
  --cc-canvas: #f6f7f9;
  --cc-danger: #b42318;
  --cc-focus: #2563eb;
  font-family: ui-sans-serif, system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  font-size: 15px;
  line-height: 1.45;
  color: var(--cc-text);
  -webkit-font-smoothing: antialiased;
  text-align: left;
  letter-spacing: normal;
}
button, textarea, a { font: inherit; letter-spacing: inherit; }
button { margin: 0; text-transform: none; }
:focus { outline: none; }
:focus-visible { outline: 3px solid var(--cc-focus); outline-offset: 2px; }
.cc-sr-only {
  position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden;
  clip: rect(0 0 0 0); white-space: nowrap; border: 0;
}

/* launcher */
.cc-launcher {
  position: fixed; right: 24px; bottom: 24px; z-index: 2147483000;
  width: 60px; height: 60px; padding: 0; border: 0; border-radius: 50%;
  display: grid; place-items: center; cursor: pointer;
  background: var(--cc-brand); color: var(--cc-on-brand);
  box-shadow: 0 10px 28px rgba(16, 24, 40, 0.24), 0 2px 6px rgba(16, 24, 40, 0.12);
  transition: transform 160ms ease, box-shadow 160ms ease;
}
.cc-launcher:hover { transform: translateY(-2px) scale(1.03); box-shadow: 0 14px 32px rgba(16, 24, 40, 0.28); }
.cc-launcher:focus-visible { outline: 3px solid var(--cc-focus); outline-offset: 3px; }
.cc-launcher svg { width: 28px; height: 28px; }
.cc-badge {
  position: absolute; top: -3px; right: -3px; min-width: 22px; height: 22px; padding: 0 6px;
  border-radius: 11px; background: #c81e1e; color: #fff; border: 2px solid #fff;
  font-size: 12px; font-weight: 700; line-height: 18px; text-align: center;
}

/* panel */
.cc-panel {
  position: fixed; right: 24px; bottom: 100px; z-index: 2147483000;
  width: 390px; height: min(680px, calc(100vh - 124px)); min-height: 320px;
  display: flex; flex-direction: column; overflow: hidden;
  background: #fff; border-radius: 18px;
  box-shadow: 0 24px 64px rgba(16, 24, 40, 0.22), 0 4px 12px rgba(16, 24, 40, 0.08);
  animation: cc-rise 180ms ease-out;
}
@keyframes cc-rise { from { opacity: 0; transform: translateY(12px) scale(0.98); } to { opacity: 1; transform: none; } }
@media (max-width: 479.98px) {
  .cc-panel { inset: 0; width: 100%; height: 100%; min-height: 0; border-radius: 0; }
  .cc-root[data-open="true"] .cc-launcher { display: none; }
  .cc-textarea { font-size: 16px; }
}

.cc-header {
  display: flex; align-items: center; gap: 12px; flex: none;
  padding: 14px 10px 14px 16px;
  background: var(--cc-brand); color: var(--cc-on-brand);
}
.cc-logo {
  width: 42px; height: 42px; flex: none; border-radius: 12px; background: #fff;
  padding: 5px; object-fit: contain; display: block;
  box-shadow: 0 1px 2px rgba(16, 24, 40, 0.15);
}
.cc-logo-fallback { display: grid; place-items: center; color: var(--cc-ink); font-weight: 700; font-size: 18px; }
.cc-heading { flex: 1; min-width: 0; }
.cc-title { margin: 0; font-size: 16px; font-weight: 650; line-height: 1.25; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.cc-subtitle { margin: 2px 0 0; font-size: 13px; opacity: 0.92; display: flex; align-items: center; gap: 6px; }
.cc-dot { width: 8px; height: 8px; border-radius: 50%; background: #4ade80; box-shadow: 0 0 0 2px rgba(255, 255, 255, 0.35); flex: none; }
.cc-icon-button {
  width: 38px; height: 38px; flex: none; padding: 0; border: 0; border-radius: 10px;
  display: grid; place-items: center; cursor: pointer; background: transparent; color: inherit;
}
.cc-icon-button:hover { background: rgba(255, 255, 255, 0.16); }
.cc-header .cc-icon-button:focus-visible { outline-color: currentColor; outline-offset: -3px; }
.cc-icon-button svg { width: 20px; height: 20px; }

.cc-connection {
  flex: none; padding: 6px 12px; font-size: 13px; text-align: center;
  background: #fff7e0; color: #6a4a00; border-bottom: 1px solid #f3dfa6;
  display: flex; align-items: center; justify-content: center; gap: 8px;
}
.cc-spinner {
  width: 12px; height: 12px; border-radius: 50%; border: 2px solid currentColor; border-right-color: transparent;
  animation: cc-spin 800ms linear infinite;
}
@keyframes cc-spin { to { transform: rotate(360deg); } }

.cc-body { position: relative; flex: 1; min-height: 0; display: flex; flex-direction: column; }
.cc-chat { flex: 1; min-height: 0; display: flex; flex-direction: column; }
.cc-log {
  flex: 1; min-height: 0; overflow-y: auto; overscroll-behavior: contain;
  padding: 16px 14px 12px; background: var(--cc-canvas);
  display: flex; flex-direction: column; gap: 6px;
}

/* messages */
.cc-row { display: flex; flex-direction: column; max-width: 86%; }
.cc-row[data-side="customer"] { align-self: flex-end; align-items: flex-end; }
.cc-row[data-side="staff"] { align-self: flex-start; align-items: flex-start; }
.cc-row + .cc-row[data-grouped="false"] { margin-top: 8px; }
.cc-author { display: flex; align-items: center; gap: 6px; margin: 0 0 4px 4px; font-size: 12.5px; color: var(--cc-muted); }
.cc-author strong { color: var(--cc-text); font-weight: 600; }
.cc-tag {
  font-size: 10.5px; font-weight: 700; letter-spacing: 0.04em; text-transform: uppercase;
  padding: 1px 6px; border-radius: 5px; background: #e6ebf1; color: #3b4552;
}
.cc-bubble {
  padding: 10px 14px; border-radius: 18px; white-space: pre-wrap; overflow-wrap: anywhere; word-break: break-word;
}
.cc-bubble[data-author="customer"] { background: var(--cc-brand); color: var(--cc-on-brand); border-bottom-right-radius: 6px; }
.cc-bubble[data-author="ai"], .cc-bubble[data-author="agent"], .cc-greeting {
  background: #fff; color: var(--cc-text); border: 1px solid var(--cc-line); border-bottom-left-radius: 6px;
  box-shadow: 0 1px 2px rgba(16, 24, 40, 0.04);
}
.cc-bubble[data-author="agent"] { border-left: 3px solid var(--cc-brand); }
.cc-bubble[data-status="failed"] { opacity: 0.72; }
.cc-bubble a { color: inherit; text-decoration: underline; text-underline-offset: 2px; }
.cc-bubble[data-author="ai"] a, .cc-bubble[data-author="agent"] a { color: var(--cc-ink); }
.cc-caret {
  display: inline-block; width: 7px; height: 15px; margin-left: 2px; vertical-align: -2px;
  background: var(--cc-muted); border-radius: 1px; animation: cc-blink 1s steps(2, start) infinite;
}
@keyframes cc-blink { to { visibility: hidden; } }
.cc-meta { margin: 4px 6px 0; font-size: 12px; color: var(--cc-muted); display: flex; align-items: center; gap: 6px; flex-wrap: wrap; }
.cc-meta[data-tone="danger"] { color: var(--cc-danger); }
.cc-link-button {
  padding: 0; border: 0; background: none; cursor: pointer; font-weight: 600;
  color: var(--cc-danger); text-decoration: underline; text-underline-offset: 2px;
}
.cc-system {
  align-self: center; max-width: 92%; margin: 10px 0; padding: 8px 14px;
  font-size: 13px; color: var(--cc-muted); text-align: center;
  background: #eceff3; border-radius: 12px;
}
.cc-divider {
  align-self: stretch; display: flex; align-items: center; gap: 10px; margin: 14px 0 8px;
  font-size: 12px; color: var(--cc-muted);
}
.cc-divider::before, .cc-divider::after { content: ""; flex: 1; height: 1px; background: var(--cc-line); }

/* citations */
.cc-cite {
  display: inline-flex; align-items: center; justify-content: center;
  min-width: 19px; height: 19px; padding: 0 5px; margin: 0 1px; border: 0; border-radius: 10px;
  vertical-align: 1px; cursor: pointer; white-space: nowrap;
  font-size: 11px; font-weight: 700; line-height: 1;
  background: var(--cc-tint); color: var(--cc-ink);
}
.cc-cite:hover { background: var(--cc-brand); color: var(--cc-on-brand); }
.cc-sources { margin-top: 10px; padding-top: 8px; border-top: 1px solid #edf0f3; display: flex; flex-wrap: wrap; gap: 6px; align-items: center; white-space: normal; }
.cc-sources-label { font-size: 11.5px; font-weight: 600; color: var(--cc-muted); text-transform: uppercase; letter-spacing: 0.05em; margin-right: 2px; }
.cc-source-chip {
  display: inline-flex; align-items: center; gap: 6px; max-width: 100%;
  padding: 3px 10px 3px 3px; border: 1px solid #d5dbe3; border-radius: 999px;
  background: #fff; color: var(--cc-text); cursor: pointer; font-size: 12.5px; line-height: 1.3;
}
.cc-source-chip:hover { border-color: var(--cc-brand); background: var(--cc-tint); }
.cc-source-chip .cc-cite { margin: 0; vertical-align: 0; pointer-events: none; }
.cc-source-chip span:last-child { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; max-width: 220px; }

.cc-source-panel {
  position: absolute; inset: 0; z-index: 2; display: flex; flex-direction: column;
  background: #fff; animation: cc-slide 160ms ease-out;
}
@keyframes cc-slide { from { transform: translateX(24px); opacity: 0; } to { transform: none; opacity: 1; } }
.cc-source-bar { display: flex; align-items: center; gap: 6px; padding: 8px 10px; border-bottom: 1px solid var(--cc-line); }
.cc-back {
  display: inline-flex; align-items: center; gap: 6px; padding: 8px 10px; border: 0; border-radius: 10px;
  background: transparent; color: var(--cc-text); cursor: pointer; font-weight: 600; font-size: 14px;
}
.cc-back:hover { background: var(--cc-canvas); }
.cc-back svg { width: 18px; height: 18px; }
.cc-source-content { flex: 1; overflow-y: auto; padding: 18px 20px 24px; }
.cc-source-kicker { display: flex; align-items: center; gap: 8px; font-size: 12px; font-weight: 600; color: var(--cc-muted); text-transform: uppercase; letter-spacing: 0.05em; }
.cc-source-title { margin: 10px 0 2px; font-size: 18px; font-weight: 650; line-height: 1.3; color: var(--cc-text); }
.cc-source-section { margin: 0; font-size: 14px; color: var(--cc-muted); }
.cc-quote {
  margin: 16px 0 0; padding: 12px 14px; border-left: 4px solid var(--cc-brand); border-radius: 4px 10px 10px 4px;
  background: var(--cc-tint); color: var(--cc-text); font-size: 14.5px; white-space: pre-wrap;
}
.cc-open-source {
  display: inline-flex; align-items: center; gap: 6px; margin-top: 18px; padding: 9px 14px;
  border-radius: 10px; background: var(--cc-brand); color: var(--cc-on-brand);
  font-weight: 600; font-size: 14px; text-decoration: none;
}
.cc-open-source:hover { filter: brightness(1.08); }
.cc-open-source svg { width: 16px; height: 16px; }
.cc-source-note { margin: 16px 0 0; font-size: 12.5px; color: var(--cc-muted); }

/* typing, states */
.cc-typing { align-self: flex-start; display: flex; align-items: center; gap: 8px; margin-top: 6px; font-size: 12.5px; color: var(--cc-muted); }
.cc-dots { display: inline-flex; gap: 4px; padding: 12px 14px; background: #fff; border: 1px solid var(--cc-line); border-radius: 18px; border-bottom-left-radius: 6px; }
.cc-dots i { width: 7px; height: 7px; border-radius: 50%; background: #98a2b3; animation: cc-bounce 1.2s infinite ease-in-out; }
.cc-dots i:nth-child(2) { animation-delay: 0.15s; }
.cc-dots i:nth-child(3) { animation-delay: 0.3s; }
@keyframes cc-bounce { 0%, 60%, 100% { transform: none; opacity: 0.6; } 30% { transform: translateY(-4px); opacity: 1; } }
.cc-banner {
  flex: none; display: flex; gap: 10px; align-items: flex-start; margin: 0; padding: 10px 14px;
  font-size: 13px; line-height: 1.4; border-top: 1px solid;
}
.cc-banner svg { width: 18px; height: 18px; flex: none; margin-top: 1px; }
.cc-banner[data-tone="review"] { background: #eef4ff; color: #1e3a8a; border-color: #d5e2fb; }
.cc-banner[data-tone="closed"] { background: #f2f4f7; color: #344054; border-color: var(--cc-line); }
.cc-notice { align-self: stretch; margin: 8px 0; padding: 10px 12px; border-radius: 12px; font-size: 13.5px; display: flex; gap: 10px; align-items: center; justify-content: space-between; }
.cc-notice[data-tone="danger"] { background: #fef3f2; color: #912018; border: 1px solid #fecdca; }
.cc-notice button {
  flex: none; padding: 6px 12px; border-radius: 8px; border: 1px solid currentColor; background: #fff; color: inherit;
  cursor: pointer; font-weight: 600; font-size: 13px;
}
.cc-skeleton { display: flex; flex-direction: column; gap: 10px; padding-top: 6px; }
.cc-skeleton i { display: block; height: 38px; border-radius: 16px; background: linear-gradient(90deg, #e9edf2, #f3f5f8, #e9edf2); background-size: 200% 100%; animation: cc-shimmer 1.4s infinite linear; }
.cc-skeleton i:nth-child(1) { width: 62%; }
.cc-skeleton i:nth-child(2) { width: 48%; align-self: flex-end; }
.cc-skeleton i:nth-child(3) { width: 70%; }
@keyframes cc-shimmer { to { background-position: -200% 0; } }
.cc-empty-state { margin: auto; padding: 24px; text-align: center; color: var(--cc-muted); font-size: 14px; }
.cc-empty-state strong { display: block; color: var(--cc-text); font-size: 16px; margin-bottom: 6px; }
.cc-empty-state button {
  margin-top: 14px; padding: 9px 16px; border: 0; border-radius: 10px; cursor: pointer;
  background: var(--cc-brand); color: var(--cc-on-brand); font-weight: 600;
}

/* composer */
.cc-composer { flex: none; padding: 10px 12px 8px; background: #fff; border-top: 1px solid var(--cc-line); }
.cc-field {
  display: flex; align-items: flex-end; gap: 8px; padding: 5px 5px 5px 14px;
  border: 1px solid #cfd6df; border-radius: 16px; background: #fff;
  transition: border-color 120ms ease, box-shadow 120ms ease;
}
.cc-field:focus-within { border-color: var(--cc-brand); box-shadow: 0 0 0 3px var(--cc-tint); }
.cc-field[data-invalid="true"] { border-color: var(--cc-danger); }
.cc-textarea {
  flex: 1; min-width: 0; max-height: 132px; margin: 0; padding: 8px 0; border: 0; outline: 0; resize: none;
  background: transparent; color: var(--cc-text); font-size: 15px; line-height: 1.4; overflow-y: auto;
}
.cc-textarea::placeholder { color: #7b8593; }
.cc-textarea:focus-visible { outline: none; }
.cc-send {
  width: 38px; height: 38px; flex: none; padding: 0; border: 0; border-radius: 12px;
  display: grid; place-items: center; cursor: pointer;
  background: var(--cc-brand); color: var(--cc-on-brand);
  transition: opacity 120ms ease;
}
.cc-send:disabled { opacity: 0.35; cursor: default; }
.cc-send svg { width: 18px; height: 18px; }
.cc-composer-meta { display: flex; justify-content: space-between; gap: 8px; margin-top: 6px; font-size: 12px; color: var(--cc-muted); min-height: 16px; }
.cc-composer-meta [data-tone="danger"] { color: var(--cc-danger); }
.cc-footnote { margin: 0; font-size: 11.5px; color: var(--cc-muted); }
.cc-footnote a { color: var(--cc-muted); text-decoration: underline; text-underline-offset: 2px; }
.cc-count { margin-left: auto; white-space: nowrap; font-variant-numeric: tabular-nums; }

@media (prefers-reduced-motion: reduce) {
  *, *::before, *::after { animation: none !important; transition: none !important; }
  .cc-launcher:hover { transform: none; }
}
@media (forced-colors: active) {
  .cc-launcher, .cc-send, .cc-bubble, .cc-cite, .cc-source-chip { border: 1px solid CanvasText; }
}
`;
