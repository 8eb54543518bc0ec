import { fileURLToPath, URL } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The embeddable widget: one self-contained script (`<script src=".../widget.js" data-tenant>`).
// An IIFE rather than an ES module, so a plain script tag works and `document.currentScript`
// tells the widget its tenant and the address of the API it came from.
export default defineConfig({
  plugins: [react()],
  resolve: {
    alias: {
      '@': fileURLToPath(new URL('./src', import.meta.url)),
      '@contract': fileURLToPath(new URL('../shared', import.meta.url)),
    },
  },
  define: { 'process.env.NODE_ENV': JSON.stringify('production') },
  build: {
    outDir: 'dist',
    emptyOutDir: false,
    copyPublicDir: false,
    lib: {
      entry: fileURLToPath(new URL('./widget/main.tsx', import.meta.url)),
      name: 'ContactCenterWidget',
      formats: ['iife'],
      fileName: () => 'widget.js',
    },
  },
});
