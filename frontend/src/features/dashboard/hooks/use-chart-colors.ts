import { useChakraContext } from '@chakra-ui/react';
import { useMemo } from 'react';

/**
 * The theme's semantic colours as CSS variables for recharts' SVG props, so charts follow the
 * theme (and colour mode) without raw colours. Names come from the system, not typed by hand.
 */
export function useChartColors() {
  const system = useChakraContext();
  return useMemo(() => {
    const v = (token: string) => system.token.var(`colors.${token}`);
    return {
      series: [v('chart.1'), v('chart.2'), v('chart.3'), v('chart.4'), v('chart.5')],
      category: {
        informational: v('category.informational'),
        service_action: v('category.service_action'),
        safety_compliance: v('category.safety_compliance'),
      } as Record<string, string>,
      brand: v('brand.solid'),
      brandFg: v('brand.fg'),
      brandMuted: v('brand.muted'),
      warning: v('fg.warning'),
      danger: v('fg.error'),
      muted: v('fg.muted'),
      subtle: v('fg.subtle'),
      grid: v('border.muted'),
      border: v('border'),
      panel: v('bg.panel'),
      fg: v('fg'),
      cursor: v('bg.muted'),
    };
  }, [system]);
}

export type ChartColors = ReturnType<typeof useChartColors>;
