import { SegmentGroup } from '@chakra-ui/react';
import { WINDOWS, type WindowValue } from '../hooks/use-dashboard-window';

export function WindowSelector({
  value,
  onChange,
}: {
  value: WindowValue;
  onChange: (value: WindowValue) => void;
}) {
  return (
    <SegmentGroup.Root
      size="sm"
      value={value}
      onValueChange={(e) => {
        const next = WINDOWS.find((w) => w.value === e.value);
        if (next) onChange(next.value);
      }}
      aria-label="Time window"
      bg="surface"
      borderWidth="1px"
      borderColor="border.muted"
    >
      <SegmentGroup.Indicator bg="brand.subtle" />
      <SegmentGroup.Items
        items={WINDOWS.map((w) => ({ value: w.value, label: w.label }))}
        flex={{ base: '1', sm: 'initial' }}
        whiteSpace="nowrap"
        px={{ base: '2', sm: '3' }}
      />
    </SegmentGroup.Root>
  );
}
