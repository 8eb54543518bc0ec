import { createSystem, defaultConfig, defineConfig } from '@chakra-ui/react';

// One theme system: components use semantic tokens (brand.*, surface, category.*, priority.*),
// never raw colours.
const config = defineConfig({
  globalCss: {
    'html, body': { bg: 'bg.canvas', color: 'fg', minHeight: '100%' },
  },
  theme: {
    tokens: {
      fonts: {
        heading: { value: "Inter, 'Segoe UI', system-ui, -apple-system, sans-serif" },
        body: { value: "Inter, 'Segoe UI', system-ui, -apple-system, sans-serif" },
        mono: { value: "'JetBrains Mono', ui-monospace, SFMono-Regular, Menlo, monospace" },
      },
    },
    semanticTokens: {
      colors: {
        brand: {
          solid: { value: '{colors.teal.600}' },
          contrast: { value: '{colors.white}' },
          fg: { value: { _light: '{colors.teal.700}', _dark: '{colors.teal.300}' } },
          muted: { value: { _light: '{colors.teal.100}', _dark: '{colors.teal.900}' } },
          subtle: { value: { _light: '{colors.teal.50}', _dark: '{colors.teal.950}' } },
          emphasized: { value: { _light: '{colors.teal.200}', _dark: '{colors.teal.800}' } },
          focusRing: { value: '{colors.teal.500}' },
        },
        'bg.canvas': { value: { _light: '{colors.gray.50}', _dark: '{colors.gray.950}' } },
        surface: { value: { _light: '{colors.white}', _dark: '{colors.gray.900}' } },
        'category.informational': { value: '{colors.blue.500}' },
        'category.service_action': { value: '{colors.purple.500}' },
        'category.safety_compliance': { value: '{colors.red.500}' },
        'priority.urgent': { value: '{colors.red.600}' },
        'priority.high': { value: '{colors.orange.500}' },
        'priority.normal': { value: '{colors.gray.400}' },
        'chart.1': { value: '{colors.teal.500}' },
        'chart.2': { value: '{colors.blue.500}' },
        'chart.3': { value: '{colors.purple.500}' },
        'chart.4': { value: '{colors.orange.400}' },
        'chart.5': { value: '{colors.red.500}' },
      },
    },
  },
});

export const system = createSystem(defaultConfig, config);
