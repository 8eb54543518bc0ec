import { ChakraProvider } from '@chakra-ui/react';
import { QueryClientProvider, useQueryClient } from '@tanstack/react-query';
import { type ReactNode, useState } from 'react';
import { Toaster } from '@/components/toaster';
import { RealtimeProvider, useResync } from '@/lib/realtime/react';
import { createQueryClient } from './query-client';
import { createTransport } from './realtime';
import { system } from './theme';

function RefetchOnResync() {
  const queryClient = useQueryClient();
  // after a reconnect, anything on screen may be stale
  useResync(() => void queryClient.invalidateQueries());
  return null;
}

export function AppProviders({ children }: { children: ReactNode }) {
  const [queryClient] = useState(createQueryClient);
  const [transport] = useState(createTransport);
  return (
    <ChakraProvider value={system}>
      <QueryClientProvider client={queryClient}>
        <RealtimeProvider transport={transport}>
          <RefetchOnResync />
          {children}
          <Toaster />
        </RealtimeProvider>
      </QueryClientProvider>
    </ChakraProvider>
  );
}
